import type ExcelJS from 'exceljs';
import { utcText, WORKBOOK_TITLE } from './workbook.js';

/**
 * How a sheet prints. These go to addWorksheet, not onto the sheet later: the streaming writer emits
 * <sheetPr fitToPage> as soon as the sheet is created, and a fit set afterwards would be ignored by Excel.
 */
export type PrintSetup = Pick<ExcelJS.AddWorksheetOptions, 'pageSetup' | 'headerFooter'>;

/**
 * Every page names the export and its time, and counts pages, so a loose printed page can be placed. &A is the
 * sheet's name, &P and &N the page and page count; header text must not contain a bare "&" of its own.
 */
function headerFooter(startedAt: Date): Partial<ExcelJS.HeaderFooter> {
  return {
    oddHeader: `&L${WORKBOOK_TITLE}&RExported ${utcText(startedAt)}`,
    oddFooter: '&L&A&CPage &P of &N',
  };
}

/**
 * A data sheet: landscape, all columns on one page wide and as many pages tall as the rows need (fitToHeight 0),
 * the header row repeated on every page. exceljs turns printTitlesRow into the sheet's _xlnm.Print_Titles name.
 */
export function dataSheetPrint(startedAt: Date): PrintSetup {
  return {
    pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' },
    headerFooter: headerFooter(startedAt),
  };
}

/**
 * The Summary on one page. Landscape, because its widest part, the riskiest-images table with a whole sha, is
 * about twice as wide as it is tall: on a portrait page it would shrink to less than half size.
 */
export function summaryPrint(startedAt: Date): PrintSetup {
  return {
    pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 1 },
    headerFooter: headerFooter(startedAt),
  };
}
