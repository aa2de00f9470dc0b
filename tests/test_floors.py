"""No chat wording below the conversations floor (README, "Architecture").

Features (`bot/services`, `broadcasts`) and the core return data or raise `UserFacingError`
with a key; what a person reads in chat lives in `handlers/*texts.py`. This scans their
string literals (docstrings and comments are English prose about the code and may quote
Vietnamese) for Vietnamese letters. What counts as data rather than wording is allowed
explicitly below, with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BELOW_HANDLERS = ("bot/services", "broadcasts", "bot/core")
VIETNAMESE = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
)
# Modules whose Vietnamese is a document's or a picture's content, or the writing of a value.
ALLOWED_MODULES = {
    "bot/services/reporting/export.py": "the Excel/CSV file's sheet names and column headers",
    "bot/services/reporting/charts.py": "titles and axis labels drawn into the chart picture",
    "bot/core/periods.py": "Period.label, how a period is written ('Tháng 11/2026')",
    "bot/core/formatting.py": "how a time is written ('09:00 ngày 26/11/2026')",
}
# Single literals that are data: words of the administrative-unit data set matched and kept in names.
ALLOWED_LITERALS = {
    "bot/services/people/units.py": {"tỉnh", "Tỉnh", "thành phố trung ương", "Thành phố", "đ", "Đ"},
}


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the string nodes that are a module's, class's or function's docstring."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def vietnamese_literals(root: Path) -> list[str]:
    """`path:line: text` of every string literal with a Vietnamese letter outside the allow-lists."""
    found = []
    for folder in BELOW_HANDLERS:
        for path in sorted((root / folder).rglob("*.py")):
            module = path.relative_to(root).as_posix()
            if module in ALLOWED_MODULES:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = _docstrings(tree)
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docstrings:
                    continue
                if VIETNAMESE.intersection(node.value) and node.value not in ALLOWED_LITERALS.get(module, ()):
                    found.append(f"{module}:{node.lineno}: {node.value!r}")
    return found


def test_features_and_the_core_write_no_chat_wording():
    assert vietnamese_literals(ROOT) == []


def test_the_allow_lists_name_modules_that_exist():
    for module in [*ALLOWED_MODULES, *ALLOWED_LITERALS]:
        assert (ROOT / module).is_file(), module


def test_a_sentence_in_a_feature_is_found(tmp_path):
    """The scan itself: a reply written in a feature is caught; its docstring and comment are not."""
    feature = tmp_path / "broadcasts" / "oops.py"
    feature.parent.mkdir(parents=True)
    feature.write_text(
        '"""Trả lời: a docstring may quote Vietnamese."""\n'
        "# Đã gửi: a comment may too\n"
        'DONE = "Đã gửi tin số {id}."\n',
        encoding="utf-8",
    )
    assert vietnamese_literals(tmp_path) == ["broadcasts/oops.py:3: 'Đã gửi tin số {id}.'"]
