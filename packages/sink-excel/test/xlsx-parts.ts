import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

// exceljs's own reader opens .xlsx files with jszip and parses their XML with saxes; reaching both through
// exceljs checks the raw parts with real parsers without adding a dependency. exceljs's reader cannot serve
// alone: it drops what the tests must see, such as app.xml's Application and the attributes as written.
const fromExcelJs = createRequire(createRequire(import.meta.url).resolve('exceljs'));

interface ZipLike {
  files: Record<string, unknown>;
  file(name: string): { async(type: 'string'): Promise<string> } | null;
}
const JSZip = fromExcelJs('jszip') as { loadAsync(data: Buffer): Promise<ZipLike> };

interface SaxesTag {
  name: string;
  attributes: Record<string, string>;
}
interface SaxesParserLike {
  on(event: 'opentag', handler: (tag: SaxesTag) => void): void;
  on(event: 'closetag', handler: () => void): void;
  on(event: 'text', handler: (text: string) => void): void;
  write(xml: string): SaxesParserLike;
  close(): void;
}
const { SaxesParser } = fromExcelJs('saxes') as { SaxesParser: new () => SaxesParserLike };

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The text directly inside the element, entities decoded. */
  text: string;
}

/** Parses XML into a tree; saxes throws on anything not well-formed, which Excel would refuse too. */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const open: XmlElement[] = [root];
  const parser = new SaxesParser();
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: { ...tag.attributes }, children: [], text: '' };
    open.at(-1)?.children.push(element);
    open.push(element);
  });
  parser.on('closetag', () => void open.pop());
  parser.on('text', (text) => {
    const current = open.at(-1);
    if (current) current.text += text;
  });
  parser.write(xml).close();
  return root;
}

/** Every element named `name` under `element`, in document order. */
export function findAll(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...findAll(child, name)]);
}

/** The one element named `name` under `element`; fails when there is none or more than one. */
export function findOne(element: XmlElement, name: string): XmlElement {
  const found = findAll(element, name);
  if (found.length !== 1) throw new Error(`expected one <${name}>, found ${found.length}`);
  return found[0] as XmlElement;
}

export interface XlsxParts {
  /** Zip entry names. */
  names: string[];
  part(name: string): Promise<XmlElement>;
  /** Sheet names in workbook order, as workbook.xml lists them (a Print_Titles localSheetId indexes this list). */
  sheetNames: string[];
  /** A worksheet's XML, found by its name through workbook.xml and its relationships. */
  sheet(name: string): Promise<XmlElement>;
}

/** Opens an .xlsx as the zip of XML parts it is. */
export async function readParts(path: string): Promise<XlsxParts> {
  const zip = await JSZip.loadAsync(await readFile(path));
  const part = async (name: string) => {
    const file = zip.file(name);
    if (!file) throw new Error(`${path} has no part ${name}`);
    return parseXml(await file.async('string'));
  };
  const workbook = await part('xl/workbook.xml');
  const rels = await part('xl/_rels/workbook.xml.rels');
  const sheets = findAll(workbook, 'sheet');
  const targets = new Map(findAll(rels, 'Relationship').map((r) => [r.attributes.Id, r.attributes.Target]));
  return {
    names: Object.keys(zip.files),
    part,
    sheetNames: sheets.map((s) => s.attributes.name as string),
    sheet(name) {
      const entry = sheets.find((s) => s.attributes.name === name);
      const target = entry && targets.get(entry.attributes['r:id'] as string);
      if (!target) throw new Error(`${path} has no sheet ${name}`);
      return part(target.startsWith('/') ? target.slice(1) : `xl/${target}`);
    },
  };
}
