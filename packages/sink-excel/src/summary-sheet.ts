import type ExcelJS from 'exceljs';
import { type RunContext, SLA_STATUS_MEANINGS, type SlaStatus, severityText } from '@qcs-export/core/sink';
import { toExcelCell, toExcelText, type ExcelCell } from './cells.js';
import { CARRIED, type ContainerTotals, type SoftwareTotals } from './container-totals.js';
import type { FindingsTotals } from './findings-totals.js';
import { wrappedLines } from './print-layout.js';
import { summaryPrint } from './print-setup.js';
import type { SummaryTotals } from './summary-totals.js';
import { DATE_FORMAT, HEADER_FILL, type StreamingWorkbook } from './workbook.js';

export const SUMMARY_SHEET = 'Summary';

/** Counts with a thousands separator: 1,234,567 is read at a glance, 1234567 is not. */
const COUNT_FORMAT = '#,##0';

/**
 * Column widths in characters, chosen so labels and values print side by side on one page. A: labels (the
 * longest, "Cells cut to Excel's 32,767 characters", is bold) and, in the riskiest-images table, the
 * repositories, wrapped. B: values, as wide as a date with its zone needs (narrower shows ####). C–G: the
 * rest of the two tables. H: the sha, whole, last because nobody reads it.
 */
const WIDTHS = [42, 24, 16, 12, 12, 16, 24, 66];

/** Fonts are named: a bold font without a name prints in LibreOffice's default serif, wider than Calibri. */
const BOLD = { name: 'Calibri', size: 11, bold: true } as const;
/** Points per line of Calibri 11: a wrapped cell's row is given its lines' height, or it prints over the next row. */
const LINE_HEIGHT = 15;
/** A text value beside a right-aligned number ("100 MEDIUM" would read as one) is set off from it. */
const INDENT = { horizontal: 'left', indent: 1 } as const;
/** The height of a row whose cells wrap, from the lines of the tallest; undefined for one line, the default height. */
const rowHeight = (cells: readonly (string | null)[]) => {
  const lines = Math.max(1, ...cells.map((value, i) => (value === null ? 1 : wrappedLines(value, WIDTHS[i] ?? 10))));
  return lines > 1 ? lines * LINE_HEIGHT : undefined;
};

/** A compared run's findings by change, for the Summary. */
export interface ChangeCounts {
  new: number;
  open: number;
  fixed: number;
  previousStartedAt: string | null;
  previousRunId: string | null;
}

/** What else the workbook holds, for the Summary's other parts. */
export interface SummaryParts {
  /** An image grain: the image totals and the riskiest images. Default: true. */
  images?: boolean;
  /** A container grain: containers by state and severity, and the namespaces most at risk. */
  containers?: ContainerTotals;
  /** Container findings: those of running containers by SLA status. */
  containerFindings?: boolean;
  /** The software grain: packages past end of life. */
  software?: SoftwareTotals;
}

/** What the two words without a severity mean for a running container. */
const CARRIED_MEANINGS: Partial<Record<(typeof CARRIED)[number], string>> = {
  none: 'no vulnerability',
  unknown: 'no severity counts for it or its image',
};

/** Text cells pass the same cleaning and length cut as data cells: the filter and repositories come from users. */
const text = (value: string | null): ExcelCell => (value === null ? null : toExcelText(value).text);

/**
 * The Summary sheet: how the export ran, vulnerabilities by severity, the ten riskiest images, and with findings
 * the vulnerabilities and CVEs that affect the most images. Written after
 * the data sheets close, because its numbers are known only then.
 */
export function writeSummarySheet(
  workbook: StreamingWorkbook,
  ctx: RunContext,
  totals: SummaryTotals,
  dataSheets: readonly string[],
  findings?: FindingsTotals,
  changes?: ChangeCounts,
  parts: SummaryParts = {},
): void {
  const images = parts.images ?? true;
  const containers = parts.containers;
  const sheet = workbook.addWorksheet(SUMMARY_SHEET, summaryPrint(ctx.startedAt, images && containers !== undefined));
  sheet.columns = WIDTHS.map((width) => ({ width })) as ExcelJS.Column[];
  const add = (values: ExcelCell[], style?: (cell: ExcelJS.Cell, column: number) => void, height?: number) => {
    const row = sheet.addRow(values);
    if (style) row.eachCell((cell, column) => style(cell, column));
    if (height) row.height = height;
    row.commit();
  };
  const heading = (title: string) => add([title], (cell) => (cell.font = { ...BOLD, size: 13 }));
  const tableHeader = (names: string[]) =>
    add(
      names,
      (cell) => {
        cell.font = BOLD;
        cell.fill = HEADER_FILL;
        // "Images with at least one" is wider than its column; wrapped, it stays whole, in a row as tall as it needs.
        cell.alignment = { wrapText: true, vertical: 'top' };
      },
      rowHeight(names),
    );
  /** A bold label in A, and its values: numbers as counts, text as is. */
  const labelled = (cell: ExcelJS.Cell, column: number) => {
    if (column === 1) cell.font = BOLD;
    else if (typeof cell.value === 'number') cell.numFmt = COUNT_FORMAT;
  };

  const title = images ? 'Qualys Container Security image inventory' : 'Qualys Container Security container inventory';
  add([title], (cell) => (cell.font = { ...BOLD, size: 15 }));
  add([]);
  heading('Export');
  add(['Exported at', ctx.startedAt], (cell, column) => {
    if (column === 1) cell.font = BOLD;
    if (column === 2) {
      cell.numFmt = DATE_FORMAT;
      cell.alignment = { horizontal: 'left' };
    }
  });
  add(['Source', text(ctx.sourceLabel)], labelled);
  add(['Filter (QQL)', text(ctx.filter ?? '(none: all images)')], labelled);
  add(['Tool', `qcs-export ${ctx.toolVersion}`], labelled);
  if (images) add(['Images exported', totals.images], labelled);
  if (containers) add(['Containers exported', containers.containers], labelled);
  add(['Data sheets', dataSheets.join(', ')], labelled);
  add([`Cells cut to Excel's 32,767 characters`, totals.cellsCut], labelled);
  add([]);

  if (changes) {
    heading('Changes since the last run');
    add(
      ['Compared with the run of', changes.previousStartedAt === null ? text(changes.previousRunId) : new Date(changes.previousStartedAt)],
      (cell, column) => {
        if (column === 1) cell.font = BOLD;
        if (column === 2 && cell.value instanceof Date) {
          cell.numFmt = DATE_FORMAT;
          cell.alignment = { horizontal: 'left' };
        }
      },
    );
    add(['New findings', changes.new], labelled);
    add(['Still open', changes.open], labelled);
    add(['Fixed', changes.fixed], labelled);
    add([]);
  }
  if (images) writeImageParts();
  if (findings) writeFindingParts(findings);
  if (parts.software) writeSoftwarePart(parts.software);
  if (containers) writeContainerParts(containers);
  sheet.commit();

  function writeImageParts(): void {
    heading('Vulnerabilities by severity');
    tableHeader(['Severity', 'Vulnerabilities', 'Images with at least one']);
    for (const s of [...totals.bySeverity].reverse()) add([severityText(s.severity), s.vulnerabilities, s.images], labelled);
    add(['Total', totals.vulnerabilities, null], (cell, column) => {
      labelled(cell, column);
      cell.font = BOLD;
    });
    if (totals.imagesWithoutCounts > 0) {
      add(['Images without severity counts', totals.imagesWithoutCounts], labelled);
    }
    add([]);

    // Riskiest first; the order is the rank. The repositories lead, as on the data sheets, and the sha closes the row.
    heading('Ten riskiest images');
    tableHeader(['Repositories', 'Risk Score', 'QDS Rating', severityText(5), severityText(4), 'Vulnerabilities', 'Last Scanned', 'Image SHA']);
    for (const image of totals.riskiest()) {
      const repositories = text(image.repositories);
      add(
        [
          repositories,
          image.riskScore,
          text(image.qdsSeverity),
          image.severity5,
          image.severity4,
          image.total,
          toExcelCell(image.lastScanned, 'date').cell,
          image.sha,
        ],
        (cell, column) => {
          // Several tags wrap within A rather than being cut off by the risk score beside them.
          // The row is as tall as its lines (rowHeight): Excel and LibreOffice do not grow it themselves.
          cell.alignment = column === 1 ? { wrapText: true, vertical: 'top' } : column === 3 ? { ...INDENT, vertical: 'top' } : { vertical: 'top' };
          if (column >= 4 && column <= 6) cell.numFmt = COUNT_FORMAT;
          if (column === 7) cell.numFmt = DATE_FORMAT;
        },
        rowHeight([typeof repositories === 'string' ? repositories : null]),
      );
    }
    if (totals.riskiest().length === 0) add(['(no images)']);
  }

  function writeFindingParts(findings: FindingsTotals): void {
    if (images) add([]);
    // The SLA sheet's figures in one table; excepted findings apart from the breach figures, as everywhere.
    heading('Findings by SLA status');
    tableHeader(['SLA status', 'Findings', 'Meaning']);
    for (const [status, count] of Object.entries(findings.byStatus)) add([status, count, SLA_STATUS_MEANINGS[status as SlaStatus]], labelled);
    add([]);
    heading('Vulnerabilities affecting the most images');
    tableHeader(['Title', 'QID', 'Severity', 'Images']);
    // A QID is an identifier, printed as Qualys prints it (101268), not a count (101,268).
    for (const q of findings.topQids())
      add([text(q.title), q.qid, severityText(q.severity), q.images], (cell, column) => {
        labelled(cell, column);
        if (column === 2) cell.numFmt = '0';
        if (column === 3) cell.alignment = INDENT;
      });
    add([]);
    heading('CVEs affecting the most images');
    tableHeader(['CVE', 'Images']);
    for (const c of findings.topCves()) add([c.cve, c.images], labelled);
    if (findings.topCves().length === 0) add(['(no CVEs)']);
  }

  function writeSoftwarePart(software: SoftwareTotals): void {
    if (images) add([]);
    heading('Software');
    add(['Installed packages (Software rows)', software.packages], labelled);
    add(['Past end of life', software.pastEndOfLife], labelled);
    add(['Past end of support', software.pastEndOfSupport], labelled);
  }

  function writeContainerParts(containers: ContainerTotals): void {
    if (images) add([]);
    heading('Containers by state');
    tableHeader(['State', 'Containers']);
    for (const s of containers.states()) add([text(s.state), s.containers], labelled);
    if (containers.containers === 0) add(['(no containers)']);
    add([]);
    // A running container carries the most severe vulnerability its own counts show, else its image's.
    heading('Running containers by their most severe vulnerability');
    add(['Running containers', Object.values(containers.runningBy).reduce((a, b) => a + b, 0)], labelled);
    for (const carried of CARRIED) {
      add([`Running containers with ${carried}`, containers.runningBy[carried], CARRIED_MEANINGS[carried] ?? null], (cell, column) => {
        labelled(cell, column);
        if (column === 3) cell.alignment = INDENT;
      });
    }
    add([]);
    heading('Namespaces with the most running containers with a CRITICAL or HIGH vulnerability');
    tableHeader(['Namespace', 'Running with CRITICAL or HIGH', 'Running containers']);
    const top = containers.topNamespaces();
    for (const n of top) add([text(n.namespace), n.urgent, n.running], labelled);
    if (top.length === 0) add(['(none)']);
    if (parts.containerFindings) {
      add([]);
      heading('Findings of running containers by SLA status');
      tableHeader(['SLA status', 'Findings', 'Meaning']);
      for (const [status, count] of Object.entries(containers.runningFindingsBy)) add([status, count, SLA_STATUS_MEANINGS[status as SlaStatus]], labelled);
    }
  }
}
