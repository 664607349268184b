import type { Detector, RuleMatch } from './types';

/**
 * OS command injection by shell structure: a command separator or substitution (`;`, `|`, `&&`,
 * a newline, `$(…)`, backticks) followed by a command. Commands that are also English words
 * (cat, id, sleep, ping, echo, find…) count only with shell-like arguments (a path, a flag, a
 * number, a variable, a redirect, or nothing at all), so "dogs; cat people" and "Q&A; echo chamber" pass.
 */

/** Commands no prose or ordinary value puts after a separator. */
const COMMANDS =
  'whoami|uname|ifconfig|ipconfig|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|dash|csh|tcsh|powershell|pwsh|cmd|cmd\\.exe|nslookup|systeminfo|busybox|python|python2|python3|perl|php|ruby|lua|node|base64|chmod|chown|nohup|telnet|tftp|xterm|socat|sudo|passwd|net\\.exe|certutil|bitsadmin|mshta|rundll32|regsvr32|wmic|tasklist|taskkill|crontab|useradd|traceroute|tracert|hostname|getent|uptime|netstat|xxd|awk|gawk|sed|nmap|rm|dig|host|id|ls|ps|env|cat|type|dir|sleep|ping|echo|printf|find|kill|touch|head|tail|more|less|mkdir|cp|mv|pwd|set|exec|eval|expr|timeout|net|who|w|which|whereis|file|uname|wc|sort|grep|egrep|cut|xargs|tee|tar|zip|unzip|gzip|openssl|ssh|scp|ftp|telnet|export|su|reboot|shutdown|halt|curl\\.exe|start|call|copy|del|ren|md|rd|attrib|icacls|ver|vol|tree|whoami\\.exe';
/** Of those, the ones prose uses as words: they need shell-looking arguments. */
const AMBIGUOUS = new Set(
  'id|ls|env|cat|type|dir|sleep|ping|echo|printf|find|kill|touch|head|tail|more|less|mkdir|cp|mv|pwd|set|exec|eval|expr|timeout|net|who|w|which|whereis|file|wc|sort|grep|cut|tee|tar|zip|host|dig|rm|sed|awk|export|su|start|call|copy|del|ren|md|rd|ver|vol|tree|reboot|shutdown|halt|nc|sh|node|lua|passwd|hostname|uptime'.split(
    '|',
  ),
);

const COMMAND_SET = new Set(COMMANDS.split('|').map((c) => c.replaceAll('\\', '')));

// Bounded repetitions only: a run of 50 000 newlines must not make each start scan to the end.
const SEPARATOR =
  /(?:[;|&\n\r`]|\$\(|\$\{ifs\}|\|\|)[\s"'\\]{0,16}(?:(?:\/usr)?\/s?bin\/)?([a-z][a-z0-9.]{0,31})([^\n]{0,40})/g;
/** Arguments a shell command takes and prose does not: paths, flags, numbers, $vars, redirects, ends. */
const SHELL_ARGUMENT = /^(?:\s+[-/~$>.<\\]|\s+\d|\s+[a-z]:\\|\s+%[a-z]+%|\s+'|\s+")/;
/** A redirect later in the command line: `echo x > /tmp/pwn`. */
const REDIRECT = /^[^;|&\n]*\s(?:[12]?>>?|<)\s*[/~$\w]/;
/** Windows `net` is a word unless a subcommand follows. */
const NET_SUBCOMMAND = /^\s+(?:user|localgroup|group|share|view|use|accounts|session|start|stop)\b/;
/** The command word ends where a shell word ends (`base64,iVBOR…` in a data URL is one word). */
const WORD_END = /^(?:$|[\s;|&`)<>'"$])/;
/** The command ends the input or the next command follows: `; id`, `| whoami;`. */
const ENDS_HERE = /^\s*(?:$|[;&`)])/;

const SPACE_THEN_FLAG = /\s[-/]/;
const REVERSE_SHELL =
  /\/dev\/(?:tcp|udp)\/|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-[ec]\s|\bbash\s+-[ic]\b|\bsh\s+-[ic]\s|\bpowershell(?:\.exe)?\s+-(?:e|enc|encodedcommand|nop|w|c|command|exec)\b|\bcmd(?:\.exe)?\s+\/[ck]\s/;
// `() { :; };` and its spacings. One class for the body: `\s*:?\s*;?\s*` would be three adjacent
// quantifiers over the same spaces (cubic on `() {` followed by a long run of spaces).
const SHELLSHOCK = /\(\)\s*\{[\s:;]*\}\s*;/;
/**
 * Shellshock with any function body, where bash imports it: at the start of the value (the
 * environment variable bash reads must begin with `() {`). `() { ignored;}; cmd`,
 * `() { _; } >_[$($())] { id; }`. Bounded: the body is at most 64 characters.
 */
const SHELLSHOCK_ANYBODY = /^\s{0,8}\(\)\s{0,8}\{[^}]{0,64}\}\s{0,8}[;>]/;
/** A fork bomb: `:(){ :|:& };:`, `f(){ f|f& };f` (the same name calls itself twice, backgrounded). */
const FORK_BOMB = /([\w:]{1,16})\(\)\s{0,8}\{\s{0,8}\1\s{0,8}\|\s{0,8}\1\s{0,8}&/;

/**
 * The command line with the shell's own obfuscations undone: `$'\x63at'` (ANSI-C quoting) decoded,
 * quotes and backslashes inside words dropped (`c'a't`, `w"h"o"a"m"i`, `wh\oami`, `i""d`), and
 * empty expansions removed (`$@`, `$()`, `${x}`, an unset `$u` glued to a word: `ca$u\t`). The
 * shell reads each of these as the plain command; the structural rules then run on this reading.
 * Every pattern here is a single pass without nested quantifiers.
 */
function deobfuscated(text: string): string {
  return text
    .replace(/\$'((?:[^'\\]|\\.){0,64})'/g, (_, body: string) => `'${ansiC(body)}'`)
    .replace(/\$(?:@|\(\)|\{[a-z_]{0,16}\}|\$)/g, '')
    .replace(/([a-z])\$[a-z_][a-z0-9_]{0,15}/g, '$1')
    .replace(/['"\\]/g, '');
}
function ansiC(body: string): string {
  return body.replace(/\\(x[0-9a-f]{1,2}|u[0-9a-f]{4}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.startsWith('x') || code.startsWith('u')) return String.fromCharCode(parseInt(code.slice(1), 16));
    if (/^[0-7]/.test(code)) return String.fromCharCode(parseInt(code, 8));
    return code;
  });
}

/**
 * A path whose segments are shell globs standing for a command or a file: `/???/c?t`, `/b?n/ca?`,
 * `/u?r/b?n/w?oam?`, `/bin/c[a]t /etc/shad*`, at the start of the value or after a separator. Each
 * segment is letters and glob characters only (no dot, digit or `=`, so no URL query or file name),
 * and a lone `*` segment ("/users/*") does not count.
 */
const GLOB_PATH = /(?:^|[;|&\n`(]|\$\()\s{0,4}((?:\/[a-z?*[\]]{1,12}){2,6})(?=$|[\s;|&`)'"])/g;
function globCommand(text: string): boolean {
  GLOB_PATH.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = GLOB_PATH.exec(text)) !== null) {
    const segments = (match[1] ?? '').split('/').filter((segment) => segment !== '');
    if (segments.some((segment) => /[?[]|[a-z]\*|\*[a-z]/.test(segment))) return true;
    GLOB_PATH.lastIndex = match.index + 1;
  }
  return false;
}
const IFS = /\$\{?ifs\}?/;

/**
 * Whether the text before a newline is empty or one token with a digit or dot (an IP, a version,
 * a file name): `127.0.0.1\nid`. Two checks, not `[\w.:-]*[\d.][\w.:-]*`, whose two overlapping
 * runs are quadratic on a long token.
 */
function tokenBefore(before: string): boolean {
  return before === '' || (TOKEN.test(before) && /[\d.]/.test(before));
}
const TOKEN = /^[\w.:-]+$/;

/**
 * Shell forms with no command word right after the separator: brace expansion (`;{cat,/etc/passwd}`),
 * process substitution (`<(curl x)`, `>(sh)`), a variable run as the command (`a=nc&&$a -lvp 4444`),
 * and code-execution calls after a break-out (`'; exec('id'); '`, `|system("id")`).
 */
const BRACE_EXPANSION = /(?:^|[;|&\n`(])\s{0,4}\{[a-z/][\w./-]{0,31},/;
const PROCESS_SUBSTITUTION = /(?:^|[\s;|&])[<>]\(\s{0,4}(?:\/[\w/]{0,32}\/)?([a-z][a-z0-9.]{0,31})/;
const VARIABLE_COMMAND = /[;|&\n`]\s{0,4}\$\{?[a-z_][a-z0-9_]{0,31}\}?(?:\s+[-/<>]|\s*$)/;
const CODE_EXEC =
  /(?:^|[;|&`'"])\s{0,4}(?:exec|system|passthru|shell_exec|popen|proc_open|pcntl_exec|eval|assert)\s{0,4}\(\s{0,4}['"$`]/;

export const detectCommandInjection: Detector = (text) => {
  if (text.includes('{') && BRACE_EXPANSION.test(text))
    return { rule: 'command_injection.brace_expansion', severity: 'critical' };
  // Each regex below runs only when the characters it cannot match without are there: prose with
  // a parenthesis or a hyphen would otherwise pay for all of them.
  if (text.includes('<(') || text.includes('>(')) {
    const substituted = PROCESS_SUBSTITUTION.exec(text)?.[1];
    if (substituted !== undefined && COMMAND_SET.has(substituted))
      return { rule: 'command_injection.substitution', severity: 'critical' };
  }
  if (text.includes('(') && CODE_EXEC.test(text)) return { rule: 'command_injection.code_exec', severity: 'critical' };
  if (text.includes('$') && VARIABLE_COMMAND.test(text))
    return { rule: 'command_injection.variable_command', severity: 'critical' };
  if (text.includes('()') && (SHELLSHOCK.test(text) || SHELLSHOCK_ANYBODY.test(text)))
    return { rule: 'command_injection.shellshock', severity: 'critical' };
  if (text.includes('()') && FORK_BOMB.test(text)) return { rule: 'command_injection.fork_bomb', severity: 'critical' };
  if (text.includes('/') && (text.includes('?') || text.includes('*') || text.includes('[')) && globCommand(text))
    return { rule: 'command_injection.glob_path', severity: 'critical' };
  const match = chainedCommand(text);
  if (match) return match;
  // Only a command line can need undoing: without a separator no chained command can appear.
  if (/[;|&\n\r`$]/.test(text) && /[$'"\\]/.test(text)) {
    const plain = deobfuscated(text);
    if (plain !== text) return chainedCommand(plain);
  }
  return undefined;
};

function chainedCommand(text: string): RuleMatch | undefined {
  // Every form needs `/dev/` or a flag after a space (`-e`, `-i`, and cmd's `/c`).
  if ((text.includes('/dev/') || SPACE_THEN_FLAG.test(text)) && REVERSE_SHELL.test(text)) {
    return { rule: 'command_injection.reverse_shell', severity: 'critical' };
  }
  if (!/[;|&\n\r`$]/.test(text)) return undefined;
  if (IFS.test(text)) return { rule: 'command_injection.ifs', severity: 'critical' };
  SEPARATOR.lastIndex = 0;
  let match: RegExpExecArray | null;
  let seen = 0;
  while ((match = SEPARATOR.exec(text)) !== null && seen++ < 64) {
    // The next separator may lie inside this match's look-ahead: resume just after this one.
    SEPARATOR.lastIndex = match.index + 1;
    const word = match[1] ?? '';
    const command = word.endsWith('.exe') ? word.slice(0, -4) : word;
    const rest = match[2] ?? '';
    if (!COMMAND_SET.has(command) && !COMMAND_SET.has(word)) continue;
    if (!WORD_END.test(rest)) continue;
    const opener = match[0].charAt(0);
    // Inside $( ) or backticks the command is being substituted: that alone is shell syntax.
    const substituted = opener === '$' || opener === '`';
    // A line that is one word ("more", "start") is prose; after ; | & it is a command.
    const newline = opener === '\n' || opener === '\r';
    if (
      !AMBIGUOUS.has(command) ||
      substituted ||
      SHELL_ARGUMENT.test(rest) ||
      REDIRECT.test(rest) ||
      (command === 'net' && NET_SUBCOMMAND.test(rest)) ||
      (newline && ENDS_HERE.test(rest) && tokenBefore(text.slice(0, match.index).trim())) ||
      (!newline && ENDS_HERE.test(rest))
    ) {
      return {
        rule: substituted ? 'command_injection.substitution' : 'command_injection.chained_command',
        severity: 'critical',
      };
    }
  }
  return undefined;
}
