"""Where financial statements answer analysts' questions: a question's metric names, read as statement rows.

Questions about filings ask in analysts' terms ("Is it capital-intensive?", "its quick ratio", "working
capital") for figures that a filing prints as rows of its statements ("Purchases of property, plant and
equipment", "Total current assets") under headings such as "Consolidated Balance Sheets". Neither MiniLM
nor BM25 links the two. `expansion` gives, for the metrics a question names, the statement headings and
row labels that define them (standard definitions, as in any accounting glossary), for the keyword search
to look for as well. A question that names no metric is left alone.
"""

from __future__ import annotations

import re

_INCOME = "consolidated statements of income operations net revenues sales"
_BALANCE = "consolidated balance sheets"
_CASH = "consolidated statements of cash flows"
GLOSSARY: dict[str, str] = {
    r"capital[- ]intensive|capital intensity|capex|capital expenditures?": (
        f"{_CASH} purchases of property plant equipment {_BALANCE} total assets"
    ),
    r"operating (?:margin|income|profit)": f"{_INCOME} operating income",
    r"gross (?:margin|profit)": f"{_INCOME} cost of sales gross profit",
    r"net (?:margin|profit margin)": f"{_INCOME} net income",
    r"working capital|current ratio|quick ratio|liquidity": (
        f"{_BALANCE} total current assets total current liabilities"
    ),
    r"free cash ?flows?|cash ?flow conversion|operating cash ?flows?": (
        f"{_CASH} net cash provided by operating activities capital expenditures"
    ),
    r"days payable|\bdpo\b|accounts payable": f"{_BALANCE} accounts payable {_INCOME} cost of sales",
    r"days sales outstanding|\bdso\b|accounts receivable": f"{_BALANCE} accounts receivable {_INCOME}",
    r"inventory turnover|days inventory": f"{_BALANCE} inventories {_INCOME} cost of sales",
    r"revenue growth|growth in revenue|change in revenue|total revenue": f"{_INCOME} total revenues",
    r"effective tax rate": "effective tax rate provision for income taxes income before income taxes",
    r"balance sheet|largest liabilit|total liabilities|total assets|leverage|debt[- ]to[- ]equity": (
        f"{_BALANCE} total liabilities total assets"
    ),
    r"return on (?:assets|equity)|\broa\b|\broe\b": f"{_INCOME} net income {_BALANCE} total assets total equity",
    r"dividends?(?: per share)?": "dividends declared per share cash dividends paid",
}
_TERMS = [(re.compile(rf"\b(?:{pattern})", re.IGNORECASE), words) for pattern, words in GLOSSARY.items()]


def expansion(question: str) -> str:
    """The statement headings and rows that hold the metrics `question` names ("" if it names none)."""
    words = dict.fromkeys(w for pattern, text in _TERMS if pattern.search(question) for w in text.split())
    return " ".join(words)
