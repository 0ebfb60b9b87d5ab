import math

from calibrate import fmt


def test_numbers_are_short_and_readable():
    assert fmt.number(950) == "950"
    assert fmt.number(1234) == "1.2k"
    assert fmt.number(34_500) == "34.5k"
    assert fmt.number(1_200_000) == "1.2M"
    assert fmt.number(2000) == "2k"
    assert fmt.number(-1500) == "-1.5k"
    assert fmt.number(12.34) == "12.3"
    assert fmt.number(None) == "–" and fmt.number(math.nan) == "–"


def test_percent_money_interval():
    assert fmt.percent(0.234) == "23.4%"
    assert fmt.money(1_500_000) == "$1.5M" and fmt.money(-200) == "-$200"
    assert fmt.interval(0.041, 0.063) == "4.1% to 6.3%"


def test_every_outcome_has_one_colour():
    assert set(fmt.OUTCOME_COLOURS) == set(fmt.OUTCOME_LABELS) == {
        "won", "lost", "no_decision", "open"}


def test_user_text_is_literal_markdown_and_plain_names_read_as_they_are():
    from calibrate.fmt import md

    assert md("![x](http://127.0.0.1:9/p.png)") == "\\!\\[x\\](http://127.0.0.1:9/p.png)"
    assert md("<script>alert(1)</script>") == "\\<script\\>alert(1)\\</script\\>"
    assert md("*bold* _it_ `code` a|b ~~x~~") == (
        "\\*bold\\* \\_it\\_ \\`code\\` a\\|b \\~\\~x\\~\\~")
    assert md("# title") == "\\# title" and md("- item") == "\\- item" and md("3. x") == "3\\. x"
    for plain in ("bare_y.csv", "C-Level", "Branche (Größe)", "emp.var.rate", "Lead Nr."):
        assert md(plain) == plain


def test_counts_a_month_are_whole_numbers_with_one_decimal_only_below_ten():
    assert fmt.per_month(156.3) == "156" and fmt.per_month(830.4) == "830"
    assert fmt.per_month(9.42) == "9.4" and fmt.per_month(5.0) == "5"
    assert fmt.per_month(9.96) == "10" and fmt.per_month(0.04) == "0"
    assert fmt.per_month(1234.5) == "1.2k" and fmt.per_month(999.6) == "1k"
    assert fmt.per_month(None) == "–" and fmt.per_month(math.nan) == "–"
    # halves round away from zero, as people do (Python's round would give 12 and 0.2)
    assert fmt.per_month(12.5) == "13" and fmt.per_month(0.25) == "0.3"
    assert fmt.per_month(-12.5) == "-13" and fmt.round_half_up(2.5) == 3.0


def test_a_setting_reads_as_people_say_it():
    assert fmt.percent_plain(0.1) == "10%" and fmt.percent_plain(0.125) == "12.5%"
    assert fmt.percent_plain(0.005) == "0.5%" and fmt.percent_plain(None) == "–"


def test_a_range_reads_in_the_format_of_its_figure():
    assert fmt.span(140.4, 175.5, fmt.per_month, " a month") == "range 140–176 a month"
    assert fmt.span(0.052, 0.07, fmt.percent) == "range 5.2%–7.0%"
    assert fmt.span(None, 3.0, fmt.per_month) is None
    assert fmt.span(math.nan, 3.0, fmt.per_month) is None
