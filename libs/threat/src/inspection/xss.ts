import type { Detector, RuleMatch } from './types';

/**
 * XSS by parsing, not by keyword: every `<` that a browser would read as the start of a tag is
 * parsed into a tag name and attributes, and only what a browser would run is reported: script-
 * capable elements, event-handler attributes, and URL attributes whose scheme runs code. Rich text
 * (`<b>`, `<a href="https://…">`, `<img src=…>`), comparisons (`a < b`) and hearts (`<3`) pass.
 * Outside markup, the same payloads injected into an attribute (`" onmouseover="…`) or a script
 * string (`';alert(1)//`) are recognised by their break-out shape.
 */

/** Elements that load or run code however they are written. */
const CODE_ELEMENTS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'base',
  'portal',
  'xss',
  'import',
]);

const EVENT_HANDLERS =
  'abort|activate|afterprint|afterscriptexecute|animationcancel|animationend|animationiteration|animationstart|auxclick|beforecopy|beforecut|beforeinput|beforeprint|beforescriptexecute|beforetoggle|beforeunload|begin|blur|bounce|canplay|canplaythrough|change|click|close|contextmenu|copy|cuechange|cut|dblclick|drag|dragend|dragenter|dragleave|dragover|dragstart|drop|durationchange|end|ended|error|finish|focus|focusin|focusout|formdata|fullscreenchange|hashchange|input|invalid|keydown|keypress|keyup|load|loadeddata|loadedmetadata|loadend|loadstart|message|mousedown|mouseenter|mouseleave|mousemove|mouseout|mouseover|mouseup|mousewheel|pagehide|pageshow|paste|pause|play|playing|pointercancel|pointerdown|pointerenter|pointerleave|pointermove|pointerout|pointerover|pointerrawupdate|pointerup|popstate|progress|readystatechange|repeat|reset|resize|scroll|scrollend|search|securitypolicyviolation|seeked|seeking|select|selectionchange|selectstart|show|start|storage|submit|suspend|timeupdate|toggle|touchend|touchmove|touchstart|transitioncancel|transitionend|transitionrun|transitionstart|unhandledrejection|unload|volumechange|wheel';

/** An event handler assigned outside a tag: the value closed an attribute and opened a new one. */
const HANDLER_OUTSIDE_TAG = new RegExp(`(?:^|[\\s"'\`/;])on(?:${EVENT_HANDLERS})\\s*=`);

/** A script string closed and code appended: `';alert(1)//`, `"-prompt(1)-"`, `'}];fetch(…)`. */
const SCRIPT_BREAKOUT =
  /['"`][\s;,+\-*/|&^)\]}]*[;,+\-*/|&^][\s(]*(?:alert|prompt|confirm|eval|print|fetch|settimeout|setinterval|import|atob|(?:document|window|top|self|parent|location|this)(?:\.[a-z]{1,24})?|constructor)[\s]*[(`.=[]/;
/** Code in a template literal's placeholder: `${alert(1)}`, `${document.cookie}` inside backticks. */
const TEMPLATE_LITERAL =
  /\$\{\s{0,8}(?:(?:alert|prompt|confirm|eval|fetch|import|atob|settimeout)\s{0,8}[(`]|(?:document|window|top|self|parent|location)\s{0,8}[.[])/;

/** Schemes that run code when a URL is followed. `data:` only for documents, not images. */
const CODE_URL =
  /^(?:javascript|vbscript|livescript|mocha):|^data:(?:text\/html|text\/javascript|image\/svg\+xml|application\/(?:x-)?(?:xhtml|javascript|ecmascript))/;
/** After `javascript:`, code rather than prose ("JavaScript: The Good Parts"); `foo:` is a JS label (`javascript:foo:alert(1)`). */
const SCRIPT_BODY = /^\s*(?:[^a-z\s]|[a-z_$][\w$.]*\s*[(`=[:])/;

// eslint-disable-next-line no-control-regex -- browsers drop these inside a URL scheme
const URL_IGNORED = /[\x00-\x20]/g;

/** Whether a URL (an attribute value or a whole input) runs script when followed. */
function isCodeUrl(value: string): boolean {
  const compact = value.replace(URL_IGNORED, '');
  const match = CODE_URL.exec(compact);
  if (!match) return false;
  if (!match[0].startsWith('data:')) {
    const rest = value.slice(value.indexOf(':') + 1);
    return SCRIPT_BODY.test(rest);
  }
  return true;
}

const DANGEROUS_STYLE = /expression\s*\(|javascript:|behavior\s*:|-moz-binding|@import/;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
}

interface Tag {
  name: string;
  attributes: [string, string][];
  end: number;
}

/** Reads the tag whose `<` is at `start`, as the HTML tokenizer would; linear in its length. */
function readTag(s: string, start: number): Tag | undefined {
  let i = start + 1;
  if (s.charAt(i) === '/') i++;
  const first = s.charCodeAt(i);
  if (!(first >= 97 && first <= 122)) return undefined;
  let j = i;
  while (j < s.length && !isSpace(s.charAt(j)) && !'/><'.includes(s.charAt(j))) j++;
  const name = s.slice(i, j);
  // `<scr<script>ipt>`: what a naive stripper leaves behind is read from the inner `<`.
  if (s.charAt(j) === '<') return { name, attributes: [], end: j };
  const attributes: [string, string][] = [];
  i = j;
  while (i < s.length) {
    const c = s.charAt(i);
    if (c === '>') return { name, attributes, end: i + 1 };
    if (isSpace(c) || c === '/') {
      i++;
      continue;
    }
    let k = i;
    while (k < s.length && !isSpace(s.charAt(k)) && !'/>='.includes(s.charAt(k))) k++;
    if (k === i) k++; // a lone '=': browsers read it as the start of a name
    const attrName = s.slice(i, k);
    i = k;
    while (i < s.length && isSpace(s.charAt(i))) i++;
    let value = '';
    if (s.charAt(i) === '=') {
      i++;
      while (i < s.length && isSpace(s.charAt(i))) i++;
      const q = s.charAt(i);
      if (q === '"' || q === "'" || q === '`') {
        const close = s.indexOf(q, i + 1);
        const stop = close < 0 ? s.length : close;
        value = s.slice(i + 1, stop);
        i = stop + 1;
      } else {
        let m = i;
        while (m < s.length && !isSpace(s.charAt(m)) && s.charAt(m) !== '>') m++;
        value = s.slice(i, m);
        i = m;
      }
    }
    attributes.push([attrName, value]);
  }
  return { name, attributes, end: s.length };
}

function inspectTag(tag: Tag): string | undefined {
  // `<x:script xmlns:x="http://www.w3.org/1999/xhtml">` is a script element in an XHTML context.
  if (CODE_ELEMENTS.has(tag.name) || CODE_ELEMENTS.has(tag.name.slice(tag.name.indexOf(':') + 1)))
    return 'xss.script_element';
  for (const [name, value] of tag.attributes) {
    if (name.length > 4 && name.startsWith('on')) return 'xss.event_handler';
    if (name === 'srcdoc') return 'xss.srcdoc';
    if (name === 'style' && DANGEROUS_STYLE.test(value)) return 'xss.style';
    if (value && isCodeUrl(value)) return 'xss.code_url';
    if ((name === 'attributename' || name === 'http-equiv') && /^(?:on|href|refresh)/.test(value))
      return 'xss.svg_animation';
  }
  if (tag.name === 'style') return 'xss.style';
  if (tag.name === 'link' && tag.attributes.some(([n, v]) => n === 'rel' && /import|preload|prefetch/.test(v))) {
    return 'xss.link_import';
  }
  return undefined;
}

const critical = (rule: string): RuleMatch => ({ rule, severity: 'critical' });

export const detectXss: Detector = (text) => {
  let from = text.indexOf('<');
  while (from >= 0) {
    const tag = readTag(text, from);
    if (tag) {
      const rule = inspectTag(tag);
      if (rule) return critical(rule);
    }
    from = text.indexOf('<', tag ? Math.max(tag.end, from + 1) : from + 1);
  }
  const start = text.trimStart();
  if (start.length > 8 && (start.charCodeAt(0) === 106 || start.charCodeAt(0) === 118 || start.startsWith('data:'))) {
    if (isCodeUrl(start)) return critical('xss.code_url');
  }
  if (text.includes('on') && text.includes('=') && HANDLER_OUTSIDE_TAG.test(text)) return critical('xss.event_handler');
  if (SCRIPT_BREAKOUT.test(text)) return critical('xss.script_breakout');
  if (text.includes('${') && TEMPLATE_LITERAL.test(text)) return critical('xss.template_literal');
  return undefined;
};
