"""PDF -> text as a reader sees it, with exact page spans (PDFium through `pypdfium2`).

`pdfium` reads each page's words with their boxes, `layout` puts them in reading order
(columns, tables), `text` joins lines into paragraphs and pages into one text, leaving out
page furniture (`furniture`) and joining words hyphenated at a line end (`hyphens`).
"""

from index.pdf.pdfium import MAX_PDF_PAGES, PdfContent, PdfError, count_pages, read_pdf

__all__ = ["MAX_PDF_PAGES", "PdfContent", "PdfError", "count_pages", "read_pdf"]
