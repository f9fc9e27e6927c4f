import type ExcelJS from 'exceljs';
import { PRINT_MARGINS, type PrintLayout } from './print-layout.js';
import { utcText } from './workbook.js';

/**
 * How a sheet prints. These go to addWorksheet, not onto the sheet later: the streaming writer emits
 * <sheetPr fitToPage> as soon as the sheet is created, and a fit set afterwards would be ignored by Excel.
 */
export type PrintSetup = Pick<ExcelJS.AddWorksheetOptions, 'pageSetup' | 'headerFooter'>;

/** What every page's header says in its middle: the export, not one of its grains (a Findings page is not "images"). */
export const PAGE_TITLE = 'Qualys Container Security export';

/**
 * Every page names its sheet, the export and its time, and counts the sheet's pages, so a loose printed page can be
 * placed. &A is the sheet's name, &P and &N the page and page count, &"Calibri,Bold" the font of what follows; header
 * text must not contain a bare "&" of its own. firstPageNumber 1 restarts the count on each sheet.
 */
function headerFooter(startedAt: Date): Partial<ExcelJS.HeaderFooter> {
  return {
    oddHeader: `&L&"Calibri,Bold"&A&C${PAGE_TITLE}&RExported ${utcText(startedAt)}`,
    oddFooter: '&CPage &P of &N',
  };
}

/**
 * A data sheet: landscape, the header row repeated on every page (exceljs turns printTitlesRow into the sheet's
 * _xlnm.Print_Titles name). Its print area's columns (print-layout.ts) fit one page wide, as many pages tall as the
 * rows need (fitToHeight 0); a user's columns too wide for that print at a fixed scale, a band of rows across its
 * pages before the next band.
 */
export function dataSheetPrint(startedAt: Date, layout: PrintLayout): PrintSetup {
  const common = { orientation: 'landscape', printTitlesRow: '1:1', margins: PRINT_MARGINS, firstPageNumber: 1 } as const;
  return {
    pageSetup: layout.fit.toWidth
      ? { ...common, fitToPage: true, fitToWidth: 1, fitToHeight: 0 }
      : { ...common, fitToPage: false, scale: layout.fit.scale, pageOrder: 'overThenDown' },
    headerFooter: headerFooter(startedAt),
  };
}

/**
 * The Summary (and the SLA sheet) on one page. Landscape, because the Summary's widest part, the riskiest-images
 * table with a whole sha, is about twice as wide as it is tall: on a portrait page it would shrink to less than half size.
 * `tall`: a Summary with the container tables too is one page wide and as many tall as it needs, not shrunk onto one.
 */
export function summaryPrint(startedAt: Date, tall = false): PrintSetup {
  return {
    pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: tall ? 0 : 1, margins: PRINT_MARGINS, firstPageNumber: 1 },
    headerFooter: headerFooter(startedAt),
  };
}
