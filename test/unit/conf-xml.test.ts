import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { VireoError } from '../../src/api/errors.js';
import { el, parseXml, serializeXml, textOf, xmlEscape, type XmlElement } from '../../src/conf/xml.js';

function syntaxError(text: string): VireoError {
  try {
    parseXml(text);
  } catch (e) {
    assert.ok(e instanceof VireoError, `expected a VireoError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected parseXml to throw');
}

describe('parseXml', () => {
  test('builds elements with attributes, text and start positions; drops comments and declarations', () => {
    const root = parseXml(
      "<?xml version='1.0'?>\n<!-- hello -->\n<a x='1' y=\"two &amp; 3\">\n  <b>text</b><c/>\n  <d><![CDATA[<raw>]]></d>\n</a>\n",
    );
    assert.equal(root.name, 'a');
    assert.deepEqual({ ...root.attrs }, { x: '1', y: 'two & 3' });
    assert.deepEqual([root.line, root.column], [3, 1]);
    const elements = root.children.filter((c): c is XmlElement => c.kind === 'element');
    assert.deepEqual(elements.map((e) => [e.name, e.line, e.column]), [['b', 4, 3], ['c', 4, 14], ['d', 5, 3]]);
    assert.equal(textOf(elements[0] as XmlElement), 'text');
    assert.equal(textOf(elements[2] as XmlElement), '<raw>');
    assert.ok(root.children.every((c) => c.kind === 'element' || c.text.trim() === ''));
  });

  test('a tag split across lines is located at its "<"', () => {
    const root = parseXml('<a>\n  <b\n    x="1"/>\n</a>');
    const b = root.children.find((c): c is XmlElement => c.kind === 'element');
    assert.deepEqual([b?.line, b?.column], [2, 3]);
  });

  test('attribute records have no prototype, so "constructor" is not an attribute', () => {
    const root = parseXml('<a/>');
    assert.equal(root.attrs['constructor'], undefined);
    assert.equal(Object.getPrototypeOf(root.attrs), null);
  });

  test('a mismatched close tag is XML_SYNTAX naming line and column', () => {
    const err = syntaxError('<domain>\n  <name>x</nam>\n</domain>');
    assert.equal(err.code, 'XML_SYNTAX');
    assert.match(err.message, /^\(domain_definition\):2: XML syntax error at line 2, column \d+: /);
  });

  test('undefined entities, two roots and empty input are syntax errors', () => {
    assert.match(syntaxError('<a>&nbsp;</a>').message, /line 1, .*undefined entity/);
    assert.match(syntaxError('<a/>\n<b/>').message, /line 2/);
    assert.equal(syntaxError('').code, 'XML_SYNTAX');
    assert.equal(syntaxError('   \n').code, 'XML_SYNTAX');
  });
});

describe('xmlEscape', () => {
  test('escapes the five XML specials in text and attributes', () => {
    assert.equal(xmlEscape(`a&b<c>d'e"f`), 'a&amp;b&lt;c&gt;d&apos;e&quot;f');
  });

  test('keeps tab/newline in text but encodes them in attributes; CR is always encoded', () => {
    assert.equal(xmlEscape('a\tb\nc\rd'), 'a\tb\nc&#13;d');
    assert.equal(xmlEscape('a\tb\nc\rd', { attribute: true }), 'a&#9;b&#10;c&#13;d');
  });

  test('drops characters XML 1.0 cannot represent', () => {
    assert.equal(xmlEscape('a\u0001b\u001fc\uFFFEd\uD800e'), 'abcde');
    assert.equal(xmlEscape('emoji 😀'), 'emoji 😀');
  });
});

describe('serializeXml', () => {
  test('prints libvirt style: two-space indent, single quotes, empty elements self-closed', () => {
    const out = serializeXml(
      el('domain', { type: 'kvm', id: 3, skipped: undefined }, [
        el('memory', { unit: 'KiB' }, '262144'),
        el('features', {}, [el('acpi'), false, undefined, el('apic')]),
        el('title', {}, "it's <b> & \"more\""),
        el('empty', {}, ''),
      ]),
    );
    assert.equal(
      out,
      [
        "<domain type='kvm' id='3'>",
        "  <memory unit='KiB'>262144</memory>",
        '  <features>',
        '    <acpi/>',
        '    <apic/>',
        '  </features>',
        '  <title>it&apos;s &lt;b&gt; &amp; &quot;more&quot;</title>',
        '  <empty/>',
        '</domain>',
        '',
      ].join('\n'),
    );
  });

  test('what it prints parses back to the same values', () => {
    const nasty = `q'uo"te & <tag>\ttab\nline\r`;
    const root = parseXml(serializeXml(el('a', { v: nasty }, [el('t', {}, nasty)])));
    assert.equal(root.attrs['v'], nasty);
    const t = root.children.find((c): c is XmlElement => c.kind === 'element');
    assert.equal(t === undefined ? undefined : textOf(t), nasty);
  });
});
