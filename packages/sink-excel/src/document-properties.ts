import type { RunContext } from '@qcs-export/core/sink';
import { toExcelText } from './cells.js';
import { utcText, WORKBOOK_TITLE, type StreamingWorkbook } from './workbook.js';

/** Text for a property: the same cleaning as cells, since the filter and source come from users and XML cannot carry control characters. */
const clean = (value: string) => toExcelText(value).text;

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * docProps/app.xml with the real application. exceljs writes "Microsoft Excel" there whatever it is told (its
 * app xform takes no application), so the file would claim to be saved by Excel. AppVersion is left out: when
 * present it must be an Office version (digits, a dot, four digits; Office refuses the file otherwise), and
 * qcs-export has none; the version goes into Application instead, as LibreOffice does. The sheet list mirrors
 * what exceljs writes.
 */
export function appXml(application: string, sheetNames: readonly string[]): string {
  const titles = sheetNames.map((name) => `<vt:lpstr>${escapeXml(name)}</vt:lpstr>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" ' +
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
    `<Application>${escapeXml(application)}</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>` +
    '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>' +
    `<vt:variant><vt:i4>${sheetNames.length}</vt:i4></vt:variant></vt:vector></HeadingPairs>` +
    `<TitlesOfParts><vt:vector size="${sheetNames.length}" baseType="lpstr">${titles}</vt:vector></TitlesOfParts>` +
    '<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>' +
    '</Properties>'
  );
}

/**
 * Says in the file's properties (File › Info, Explorer's Details tab) what the workbook is and where it came
 * from: core.xml gets creator, title, subject and description through exceljs's own API; app.xml's Application
 * needs addApp replaced, which commit() calls once every sheet exists.
 */
export function describeWorkbook(workbook: StreamingWorkbook, ctx: RunContext): void {
  const tool = clean(`qcs-export ${ctx.toolVersion}`);
  const time = utcText(ctx.startedAt);
  const source = clean(ctx.sourceLabel);
  workbook.creator = tool;
  workbook.lastModifiedBy = tool;
  workbook.created = ctx.startedAt;
  workbook.title = WORKBOOK_TITLE;
  workbook.subject = `Image inventory exported ${time} from ${source}`;
  workbook.description = `Exported ${time} from ${source} by ${tool}. Filter (QQL): ${clean(ctx.filter ?? '(none: all images)')}`;

  const zip = workbook.zip;
  // Without archiver's append (another exceljs), exceljs's own app.xml stays: a wrong name, but a valid file.
  if (typeof zip?.append !== 'function') return;
  workbook.addApp = () => {
    const names: string[] = [];
    // Streaming sheets are numbered from 1 in the order they were added, as exceljs lists them in workbook.xml.
    for (let id = 1, sheet = workbook.getWorksheet(id); sheet; sheet = workbook.getWorksheet(++id)) names.push(sheet.name);
    zip.append?.(appXml(tool, names), { name: 'docProps/app.xml' });
    return Promise.resolve();
  };
}
