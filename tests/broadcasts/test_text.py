"""Splitting long texts, plain and formatted."""

from broadcasts.text import html_to_text, split_html, split_text


def test_plain_text_is_cut_between_paragraphs_in_order():
    text = "\n\n".join(f"Đoạn {n}: " + "chữ " * 200 for n in range(4))
    parts = split_text(text, 2000)
    assert all(len(p) <= 2000 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert all(p.startswith("Đoạn") for p in parts)


def test_formatting_open_at_a_cut_is_closed_and_reopened():
    text = "<b>" + "\n\n".join("Mục " + "x" * 900 for _ in range(6)) + "</b> hết"
    parts = split_html(text, 4096)
    assert len(parts) > 1
    for part in parts:
        assert part.count("<b>") == part.count("</b>")
        assert len(part) <= 4096


def test_html_reads_as_plain_text_where_there_is_no_formatting():
    assert html_to_text('<b>Họp</b> tại <a href="https://mttq.vn">đây</a> &amp; hỏi') == "Họp tại đây (https://mttq.vn) & hỏi"
    escaped = '<a href="https://www.google.com/search?q=&quot;MTTQ&quot;&amp;hl=vi">tìm</a>'
    assert html_to_text(escaped) == 'tìm (https://www.google.com/search?q="MTTQ"&hl=vi)'  # Zalo: the real address
