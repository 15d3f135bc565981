"""CSV parsing and row validation, before any database is involved."""

from inventory.importer import ImportReport, parse


def test_parses_rows_with_line_numbers_and_optional_safety_stock():
    report = ImportReport()
    rows = parse("sku,location,quantity,safety_stock\nA,s1,4,\nB,s1,0,2\n", report)
    assert report.errors == []
    assert [(r.line, r.sku, r.quantity, r.safety_stock) for r in rows] == [
        (2, "A", 4, None), (3, "B", 0, 2)]


def test_reports_every_bad_row():
    report = ImportReport()
    parse("sku,location,quantity\nA,s1,x\n,s1,1\nA,s1,1\nA,s1,2\nB,s2,-1\n", report)
    assert report.errors == [
        (2, "quantity 'x' is not a whole number"),
        (3, "sku and location are required"),
        (5, "A at s1 already counted on line 4"),
        (6, "quantity -1 is negative"),
    ]


def test_header_problems_are_line_one():
    report = ImportReport()
    assert parse("sku,quantity\nA,1\n", report) == []
    assert report.errors == [(1, "header lacks column(s): location")]
    report = ImportReport()
    parse("sku,location,quantity,colour\n", report)
    assert report.errors == [(1, "unknown column(s): colour")]
