/** HTML-escapes text for element content and quoted attribute values. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

export function loginPage(returnTo: string, error?: string): string {
  return page(
    'Sign in to Rampart sample API',
    `${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/oauth/login">
  <input type="hidden" name="return_to" value="${escape(returnTo)}">
  <label>Email <input name="username" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>`,
  );
}

export function consentPage(returnTo: string, clientName: string, scopes: readonly string[]): string {
  return page(
    `Allow ${clientName}?`,
    `<p>${escape(clientName)} asks to: ${scopes.map((s) => `<code>${escape(s)}</code>`).join(', ') || 'identify you'}.</p>
<form method="post" action="/oauth/consent">
  <input type="hidden" name="return_to" value="${escape(returnTo)}">
  <button type="submit" name="decision" value="allow">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}
