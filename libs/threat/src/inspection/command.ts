import type { Detector } from './types';

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

const REVERSE_SHELL =
  /\/dev\/(?:tcp|udp)\/|\b(?:nc|ncat|netcat)\s+(?:-\w+\s+)*-[ec]\s|\bbash\s+-[ic]\b|\bsh\s+-[ic]\s|\bpowershell(?:\.exe)?\s+-(?:e|enc|encodedcommand|nop|w|c|command|exec)\b|\bcmd(?:\.exe)?\s+\/[ck]\s/;
// `() { :; };` and its spacings. One class for the body: `\s*:?\s*;?\s*` would be three adjacent
// quantifiers over the same spaces (cubic on `() {` followed by a long run of spaces).
const SHELLSHOCK = /\(\)\s*\{[\s:;]*\}\s*;/;
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

export const detectCommandInjection: Detector = (text) => {
  if (text.includes('(') && SHELLSHOCK.test(text))
    return { rule: 'command_injection.shellshock', severity: 'critical' };
  if ((text.includes('-') || text.includes('/dev/')) && REVERSE_SHELL.test(text)) {
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
};
