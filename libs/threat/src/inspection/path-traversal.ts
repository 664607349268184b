import type { Detector } from './types';

/**
 * Path traversal by path segments: after decoding (`%2e%2e%2f`, `%c0%af`, `..%5c`) and with `\`
 * read as `/`, a segment that is `..` (or `..;`, as Tomcat reads it, or `....` left after a naive
 * filter strips `../`) climbs out of the directory the application meant. Dots inside a name
 * (`report.v2.final.pdf`, `wait...`) are not segments and pass.
 */

/** Files an attacker reads to prove or widen access; asked for directly, they need no `..`. */
const SENSITIVE_FILE =
  /(?:^|[/\\:])(?:etc\/(?:passwd|shadow|group|hosts|issue|crontab|sudoers|ssh\/|mysql\/|nginx\/|apache2?\/|httpd\/|hostname|resolv\.conf)|proc\/(?:self|\d+)\/(?:environ|cmdline|fd|maps|status|cwd|root|exe|mem)|windows\/(?:win\.ini|system32|system\.ini|repair)|boot\.ini|winnt\/|inetpub\/|\.ssh\/(?:id_|authorized_keys|known_hosts)|\.aws\/credentials|\.git\/(?:config|head)|\.htpasswd|\.htaccess|web-inf\/web\.xml|wp-config\.php|\.bash_history|var\/log\/|var\/run\/secrets)/;

/**
 * More files of the kind (after CRS's lfi-os-files list, REQUEST-930): credentials, keys, service
 * account tokens and server configuration, when asked for by an absolute path.
 */
const SENSITIVE_ABSOLUTE =
  /\/(?:etc\/(?:master\.passwd|subuid|subgid|gshadow|security\/|ssl\/private|sysconfig\/|environment|profile|bashrc|fstab|inittab|motd|redis\/|php\/|docker\/)|root\/|home\/[^/]{1,32}\/\.|proc\/(?:version|net\/|mounts|partitions|sched_debug)|\.(?:kube\/config|docker\/config\.json|npmrc|netrc|pgpass|git-credentials|env)\b|(?:php\.ini|my\.cnf|web\.config|id_rsa|id_ed25519|id_ecdsa)$|windows\/(?:system32|syswow64)\/|usr\/local\/(?:etc|apache2?\/conf|nginx\/conf)\/)/;

const TRAVERSAL_SEGMENT = /^\.{2,}[;:]?$|^\.\.[\s?#%]/;

export const detectPathTraversal: Detector = (text) => {
  const hasDots = text.includes('..');
  if (!hasDots && !/[/\\\u2215\u2216\u2044\u29f8\u29f9]/.test(text)) return undefined;
  // Slash look-alikes that IIS and some normalisers fold into a separator: ∕ ∖ ⁄ ⧸ ⧹.
  const path = text.replace(/[\\\u2215\u2216\u2044\u29f8\u29f9]/g, '/');
  if (hasDots) {
    const segments = path.split('/');
    if (segments.length > 1) {
      for (const segment of segments) {
        if (TRAVERSAL_SEGMENT.test(segment.trim())) return { rule: 'path_traversal.dot_segment', severity: 'critical' };
      }
    }
  }
  if (SENSITIVE_FILE.test(path) || SENSITIVE_ABSOLUTE.test(path))
    return { rule: 'path_traversal.sensitive_file', severity: 'critical' };
  if (/^file:\/\//.test(path)) return { rule: 'path_traversal.file_url', severity: 'critical' };
  return undefined;
};
