/** Injection token of the resolved {@link ResolvedAuthOptions}. */
export const RAMPART_AUTH_OPTIONS = Symbol('RAMPART_AUTH_OPTIONS');
/** Injection token of the {@link ApiKeyStorage} in use. */
export const API_KEY_STORAGE = Symbol('API_KEY_STORAGE');

/** Metadata keys of the auth decorators. */
export const IS_PUBLIC_KEY = 'rampart:auth:public';
export const AUTH_MODE_KEY = 'rampart:auth:mode';
export const SCOPES_KEY = 'rampart:auth:scopes';
export const ROLES_KEY = 'rampart:auth:roles';
export const SERIALIZE_AS_KEY = 'rampart:auth:serialize-as';
