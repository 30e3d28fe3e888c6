"""The admin keeps the site's code table: hospital codes -> catalog exams, by API or CSV file."""

from __future__ import annotations

from api.cli import main


def test_demo_ships_loinc_mappings_for_its_catalog(client, reception):
    rows = client.get("/api/v1/sites/demo/code-mappings", headers=reception).json
    mapped = {(r["system"], r["code"]): r["exam_code"] for r in rows}
    assert mapped[("http://loinc.org", "2345-7")] == "GLU"
    assert mapped[("http://loinc.org", "2093-3")] == "LIPID"
    assert mapped[("http://loinc.org", "2160-0")] == "RENAL"
    exams = {e["code"] for e in client.get("/api/v1/catalog/exams").json}
    assert set(mapped.values()) <= exams


def test_a_wrong_table_is_refused_whole_naming_the_row(client, admin, reception):
    before = client.get("/api/v1/sites/demo/code-mappings", headers=reception).json
    rows = [
        {"system": "LN", "code": "2345-7", "exam_code": "GLU"},
        {"system": "LN", "code": "1-8", "exam_code": "NOPE"},
    ]
    response = client.put("/api/v1/sites/demo/code-mappings", json=rows, headers=admin)
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"1.exam_code": ["unknown exam code 'NOPE'"]}
    missing = client.put("/api/v1/sites/demo/code-mappings", json=[{"system": "LN"}], headers=admin)
    assert missing.status_code == 422 and set(missing.json["errors"]["json"]) == {"0.code", "0.exam_code"}
    assert client.get("/api/v1/sites/demo/code-mappings", headers=reception).json == before
    assert client.put("/api/v1/sites/demo/code-mappings", json=[], headers=reception).status_code == 403


def test_csv_import_from_the_command_line(app, tmp_path, client, reception):
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("system,code,exam_code\nLN,2345-7,GLU\nLN,,LIPID\n", "utf-8")
    result = runner.invoke(main, ["codes", "import", str(bad), "--site", "demo"])
    assert result.exit_code != 0 and "line 3: empty code" in result.output
    good = tmp_path / "charges.csv"
    good.write_text(
        "system,code,exam_code,display\nLN,2345-7,GLU,Glucose\nurn:hospital:charges,F-2031,US-ABD,腹部B超\n",
        "utf-8",
    )
    result = runner.invoke(main, ["codes", "import", str(good), "--site", "demo"])
    assert result.exit_code == 0, result.output
    rows = client.get("/api/v1/sites/demo/code-mappings", headers=reception).json
    assert [(r["system"], r["code"], r["exam_code"]) for r in rows] == [
        ("http://loinc.org", "2345-7", "GLU"),
        ("urn:hospital:charges", "F-2031", "US-ABD"),
    ]
