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


def test_an_authors_html_is_cleaned_to_telegrams_formatting():
    from broadcasts.text import clean_html, has_formatting

    assert clean_html("<b>Họp</b> & bàn <i>nhé") == "<b>Họp</b> &amp; bàn <i>nhé</i>"  # closed, escaped
    assert clean_html("<b><i>x</b> y</i>") == "<b><i>x</i></b> y"  # never crossed
    assert clean_html("<script>alert(1)</script>Xin <img src=x onerror=alert(1)>chào") == "Xin chào"
    assert clean_html('<a href="javascript:alert(1)">bấm</a>') == "bấm"
    assert clean_html('<a href="https://mttq.vn/?a=1&b=2" onclick="x()">đây</a>') == (
        '<a href="https://mttq.vn/?a=1&amp;b=2">đây</a>')
    assert clean_html("dòng 1<br>dòng 2\r\n<p>đoạn</p>") == "dòng 1\ndòng 2\nđoạn"
    assert clean_html("a < b > c &amp; d") == "a &lt; b &gt; c &amp; d"
    assert not has_formatting(clean_html("a < b")) and has_formatting(clean_html("<u>x</u>"))
    assert html_to_text(clean_html("<b>Tôm</b> & cá")) == "Tôm & cá"
