"""The validate stage gives the same answers as its first implementation, on purpose-built files.

The expectations below (reports, refusals, the Parquet's dtypes and values) were recorded from
the implementation that read every cell as text with pandas, before validation was made fast:
a faster reader must reproduce them exactly. Floats are compared by their bits (float.hex).

The same data as Parquet must answer as the CSV does: the CSV's text as Parquet strings gives the
recorded answers, and a frame with typed columns gives, as Parquet, what its `to_csv` gives.
"""

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}.contract.reading import read_csv_text
from {{ cookiecutter.package_name }}.contract.validate import validate_file
from {{ cookiecutter.package_name }}.errors import ProjectError

PACKAGE = validate_file.__module__.partition(".")[0]
SCHEMA = """\
target: y
ids: [cust]
columns:
  age: {dtype: integer, nullable: false, min: 0, max: 120}
  visits: {dtype: integer, nullable: true}
  score: {dtype: float, nullable: true, min: -10.0, max: 10.0}
  ratio: {dtype: float, nullable: false}
  city: {dtype: category, nullable: true, categories: [north, south, 'east, west']}
  note: {dtype: category, nullable: true}
  spare: {dtype: float, nullable: true}
  y: {dtype: integer, nullable: false, categories: [0, 1]}
"""
HEADER = "cust,age,visits,score,ratio,city,note,spare,y"
# Every row meets the contract, written the many ways a CSV may hold a valid value.
VALID_ROWS = [
    "c1,30,5,1.5,0.25,north,hello,1,1",
    'c2,3.0,,-2.5e0,1e1,"east, west","quoted, comma",,0',
    'c3,+7,NA,+1.25,-0,south," spaced ",NaN,1',
    "c4, 8 ,null,NaN,1E-3,NULL,,n/a,0",
    "c5,0,9007199254740993,10,123456789.123456789,,None,<NA>,1",
    "c6,1e2,007,-10,0.1,north,n/a,#N/A,1",
    'c7,45,1,,3.14159,south,"a""b",-1.#IND,0',
    'c8,120,-3,"7",0.30000000000000004,"north",N/A,1e-400,"1"',
    "c9,99, 12,0.1e1,-1e-3,south,nan,-nan,0",
    "c10,18,2,2.,.5,north,#NA,NULL,1",
]
# Each column breaks its rules in several ways; `ratio` is missing and `extra` is not in the
# contract; `spare` has no value at all.
INVALID_HEADER = "cust,age,visits,score,city,note,spare,y,extra"
INVALID_ROWS = [
    "c1,30,5,1.5,north,a,,1,x",
    "c2,forty,2.5,inf,central,b,,0,x",
    "c3,,0x10,-inf,South,,,2,",
    'c4,150,"1,000",11,central,c,,1,"y, z"',
    "c5,-1,7,NAN,east,d,,yes,x",
    "c6,2.5,1e3,-11,north ,e,,1.0,w",
    "c7,150,+8,Infinity,,f,,0,v",
    "c8,abc,9,1e400,west,g,,1,u",
    "c9,def,10,0,west,h,,1,t",
    "c10,ghi,11,0,east,i,,1,s",
    "c11,jkl,12,0,north,j,,0,r",
    "c12,30.5,13,0,north,k,,1,q",
]


def csv_bytes(header, rows, newline="\n", bom=False):
    text = newline.join([header, *rows]) + newline
    return ("\ufeff" if bom else "").encode() + text.encode()


def late_block_rows(n_rows, bad_row, column):
    """A file larger than a reader's block, valid but for one value of `column` near its end
    (and `note`, which is empty)."""
    rows = [
        f"c{i},{i % 100},{i % 7},{(i % 19) - 9}.5,{i / 3:.6f},north,,1,{i % 2}"
        for i in range(n_rows)
    ]
    fields = rows[bad_row].split(",")
    fields[HEADER.split(",").index(column)] = "4O"
    rows[bad_row] = ",".join(fields)
    return rows


def run(tmp_path, data, name="raw.csv"):
    """(report, Parquet contents or None, error text or None) of validating `data` (bytes)
    saved as `name`; the error names the file raw.csv whatever its name."""
    (tmp_path / "schema.yaml").write_text(SCHEMA)
    source, output, report = tmp_path / name, tmp_path / "out.parquet", tmp_path / "v.json"
    output.unlink(missing_ok=True)
    if data is not None:
        source.write_bytes(data)
    error = None
    try:
        validate_file(source, tmp_path / "schema.yaml", output, report)
    except ProjectError as raised:
        error = str(raised).replace(str(tmp_path), "<tmp>").replace(PACKAGE, "<package>")
        error = error.replace(f"<tmp>/{name}", "<tmp>/raw.csv")
    written = json.loads(report.read_text()) if report.exists() else None
    return written, contents(pd.read_parquet(output)) if output.exists() else None, error


def contents(frame):
    """Column dtypes and values, floats by their bits, missing values as None."""

    def value(item):
        if pd.isna(item):
            return None
        return (
            item.hex() if isinstance(item, float) else item if isinstance(item, str) else int(item)
        )

    return {name: [str(frame[name].dtype), [value(v) for v in frame[name]]] for name in frame}


CASES = {
    "valid": csv_bytes(HEADER, VALID_ROWS),
    # Without -0 and a whole number beyond float64's exact ones, which are read again as text.
    "valid, every number parsed once": csv_bytes(
        HEADER, [row for row in VALID_ROWS if not row.startswith(("c3,", "c5,"))]
    ),
    "valid, CRLF and BOM": csv_bytes(HEADER, VALID_ROWS, newline="\r\n", bom=True),
    "invalid": csv_bytes(INVALID_HEADER, INVALID_ROWS),
    "invalid, CRLF": csv_bytes(INVALID_HEADER, INVALID_ROWS, newline="\r\n"),
    "late bad category": csv_bytes(HEADER, late_block_rows(300_000, 299_990, "city")),
    "late bad number": csv_bytes(HEADER, late_block_rows(300_000, 299_995, "age")),
    "short row": csv_bytes(HEADER, [*VALID_ROWS, "c11,40,1"]),
    "long row": csv_bytes(HEADER, [*VALID_ROWS[:3], VALID_ROWS[3] + ",9"]),
    "unclosed quote": csv_bytes(HEADER, [*VALID_ROWS, 'c11,40,1,1,1,"north,,,1']),
    "blank and whitespace lines": csv_bytes(HEADER, [VALID_ROWS[0], "", "   ", VALID_ROWS[1]]),
    "duplicate header": csv_bytes(HEADER + ",age", [row + ",5" for row in VALID_ROWS]),
    "one column": csv_bytes("age", ["1", "  ", "2"]),
    "empty": b"",
    "whitespace only": b" \n\t\n",
    "header only": csv_bytes(HEADER, []),
    "semicolons": csv_bytes(HEADER.replace(",", ";"), [r.replace(",", ";") for r in VALID_ROWS]),
    "latin-1": csv_bytes(HEADER, VALID_ROWS).replace(b"hello", "h\xe9llo".encode("latin-1"))
    + "\xe9\n".encode("latin-1"),
    "not found": None,
}


@pytest.mark.parametrize("case", CASES)
def test_validate_answers_as_the_text_reader_did(tmp_path, case):
    assert list(run(tmp_path, CASES[case])) == EXPECTED[case]


EXPECTED = {
    "valid": [
        {"valid": True, "rows": 10, "columns": 9, "violations": []},
        {
            "age": ["int64", [30, 3, 7, 8, 0, 100, 45, 120, 99, 18]],
            # 9007199254740993 as written (its float64 is 2**53: the column has NA and "007")
            "visits": ["Int64", [5, None, None, None, 9007199254740993, 7, 1, -3, 12, 2]],
            "score": [
                "float64",
                [
                    "0x1.8000000000000p+0",
                    "-0x1.4000000000000p+1",
                    "0x1.4000000000000p+0",
                    None,
                    "0x1.4000000000000p+3",
                    "-0x1.4000000000000p+3",
                    None,
                    "0x1.c000000000000p+2",
                    "0x1.0000000000000p+0",
                    "0x1.0000000000000p+1",
                ],
            ],
            "ratio": [
                "float64",
                [
                    "0x1.0000000000000p-2",
                    "0x1.4000000000000p+3",
                    "-0x0.0p+0",
                    "0x1.0624dd2f1a9fcp-10",
                    "0x1.d6f34547e6b75p+26",
                    "0x1.999999999999ap-4",
                    "0x1.921f9f01b866ep+1",
                    "0x1.3333333333334p-2",
                    "-0x1.0624dd2f1a9fcp-10",
                    "0x1.0000000000000p-1",
                ],
            ],
            "city": [
                "str",
                [
                    "north",
                    "east, west",
                    "south",
                    None,
                    None,
                    "north",
                    "south",
                    "north",
                    "south",
                    "north",
                ],
            ],
            "note": [
                "str",
                ["hello", "quoted, comma", " spaced ", None, None, None, 'a"b', None, None, None],
            ],
            "spare": [
                "float64",
                [
                    "0x1.0000000000000p+0",
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "0x0.0p+0",
                    None,
                    None,
                ],
            ],
            "y": ["int64", [1, 0, 1, 0, 1, 1, 0, 1, 0, 1]],
        },
        None,
    ],
    "valid, every number parsed once": [
        {"valid": True, "rows": 8, "columns": 9, "violations": []},
        {
            "age": ["int64", [30, 3, 8, 100, 45, 120, 99, 18]],
            "visits": ["Int64", [5, None, None, 7, 1, -3, 12, 2]],
            "score": [
                "float64",
                [
                    "0x1.8000000000000p+0",
                    "-0x1.4000000000000p+1",
                    None,
                    "-0x1.4000000000000p+3",
                    None,
                    "0x1.c000000000000p+2",
                    "0x1.0000000000000p+0",
                    "0x1.0000000000000p+1",
                ],
            ],
            "ratio": [
                "float64",
                [
                    "0x1.0000000000000p-2",
                    "0x1.4000000000000p+3",
                    "0x1.0624dd2f1a9fcp-10",
                    "0x1.999999999999ap-4",
                    "0x1.921f9f01b866ep+1",
                    "0x1.3333333333334p-2",
                    "-0x1.0624dd2f1a9fcp-10",
                    "0x1.0000000000000p-1",
                ],
            ],
            "city": [
                "str",
                ["north", "east, west", None, "north", "south", "north", "south", "north"],
            ],
            "note": ["str", ["hello", "quoted, comma", None, None, 'a"b', None, None, None]],
            "spare": [
                "float64",
                ["0x1.0000000000000p+0", None, None, None, None, "0x0.0p+0", None, None],
            ],
            "y": ["int64", [1, 0, 0, 1, 0, 1, 0, 1]],
        },
        None,
    ],
    "invalid": [
        {
            "valid": False,
            "rows": 12,
            "columns": 9,
            "violations": [
                {
                    "column": "ratio",
                    "rule": "missing_column",
                    "count": 12,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "extra",
                    "rule": "extra_column",
                    "count": 11,
                    "examples": ["x", "y, z", "w", "v", "u"],
                    "message": "column not in schema.yaml",
                },
                {
                    "column": "age",
                    "rule": "null",
                    "count": 1,
                    "examples": [],
                    "message": "missing values; not nullable",
                },
                {
                    "column": "age",
                    "rule": "dtype",
                    "count": 7,
                    "examples": ["forty", "2.5", "abc", "def", "ghi"],
                    "message": "not whole numbers within int64",
                },
                {
                    "column": "age",
                    "rule": "out_of_range",
                    "count": 3,
                    "examples": ["150", "-1"],
                    "message": "outside [0, 120]",
                },
                {
                    "column": "visits",
                    "rule": "dtype",
                    "count": 3,
                    "examples": ["2.5", "0x10", "1,000"],
                    "message": "not whole numbers within int64",
                },
                {
                    "column": "score",
                    "rule": "dtype",
                    "count": 5,
                    "examples": ["inf", "-inf", "NAN", "Infinity", "1e400"],
                    "message": "not numbers",
                },
                {
                    "column": "score",
                    "rule": "out_of_range",
                    "count": 2,
                    "examples": ["11", "-11"],
                    "message": "outside [-10.0, 10.0]",
                },
                {
                    "column": "city",
                    "rule": "category",
                    "count": 8,
                    "examples": ["central", "South", "east", "north ", "west"],
                    "message": "not in [north, south, east, west]",
                },
                {
                    "column": "spare",
                    "rule": "all_null",
                    "count": 12,
                    "examples": [],
                    "message": "every value is missing",
                },
                {
                    "column": "y",
                    "rule": "dtype",
                    "count": 1,
                    "examples": ["yes"],
                    "message": "not whole numbers within int64",
                },
                {
                    "column": "y",
                    "rule": "category",
                    "count": 1,
                    "examples": ["2"],
                    "message": "not in [0, 1]",
                },
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (12 problems):\n"
        "  - ratio: missing_column in 12 rows: column not in the file\n"
        "  - extra: extra_column in 11 rows: column not in schema.yaml; e.g. 'x', 'y, z', "
        "'w', 'v', 'u'\n"
        "  - age: null in 1 rows: missing values; not nullable\n"
        "  - age: dtype in 7 rows: not whole numbers within int64; e.g. 'forty', '2.5', 'abc', "
        "'def', 'ghi'\n"
        "  - age: out_of_range in 3 rows: outside [0, 120]; e.g. '150', '-1'\n"
        "  - visits: dtype in 3 rows: not whole numbers within int64; e.g. '2.5', '0x10', "
        "'1,000'\n"
        "  - score: dtype in 5 rows: not numbers; e.g. 'inf', '-inf', 'NAN', 'Infinity', "
        "'1e400'\n"
        "  - score: out_of_range in 2 rows: outside [-10.0, 10.0]; e.g. '11', '-11'\n"
        "  - city: category in 8 rows: not in [north, south, east, west]; e.g. 'central', "
        "'South', 'east', 'north ', 'west'\n"
        "  - spare: all_null in 12 rows: every value is missing\n"
        "  - y: dtype in 1 rows: not whole numbers within int64; e.g. 'yes'\n"
        "  - y: category in 1 rows: not in [0, 1]; e.g. '2'\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m <package>.contract "
        "schema infer <tmp>/raw.csv --target y` writes one from the data)",
    ],
    "late bad category": [
        {
            "valid": False,
            "rows": 300000,
            "columns": 9,
            "violations": [
                {
                    "column": "city",
                    "rule": "category",
                    "count": 1,
                    "examples": ["4O"],
                    "message": "not in [north, south, east, west]",
                },
                {
                    "column": "note",
                    "rule": "all_null",
                    "count": 300000,
                    "examples": [],
                    "message": "every value is missing",
                },
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (2 problems):\n"
        "  - city: category in 1 rows: not in [north, south, east, west]; e.g. '4O'\n"
        "  - note: all_null in 300000 rows: every value is missing\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m <package>.contract "
        "schema infer <tmp>/raw.csv --target y` writes one from the data)",
    ],
    "late bad number": [
        {
            "valid": False,
            "rows": 300000,
            "columns": 9,
            "violations": [
                {
                    "column": "age",
                    "rule": "dtype",
                    "count": 1,
                    "examples": ["4O"],
                    "message": "not whole numbers within int64",
                },
                {
                    "column": "note",
                    "rule": "all_null",
                    "count": 300000,
                    "examples": [],
                    "message": "every value is missing",
                },
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (2 problems):\n"
        "  - age: dtype in 1 rows: not whole numbers within int64; e.g. '4O'\n"
        "  - note: all_null in 300000 rows: every value is missing\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m <package>.contract "
        "schema infer <tmp>/raw.csv --target y` writes one from the data)",
    ],
    "short row": [
        {
            "valid": False,
            "rows": 11,
            "columns": 9,
            "violations": [
                {
                    "column": "ratio",
                    "rule": "null",
                    "count": 1,
                    "examples": [],
                    "message": "missing values; not nullable",
                },
                {
                    "column": "y",
                    "rule": "null",
                    "count": 1,
                    "examples": [],
                    "message": "missing values; not nullable",
                },
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (2 problems):\n"
        "  - ratio: null in 1 rows: missing values; not nullable\n"
        "  - y: null in 1 rows: missing values; not nullable\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m <package>.contract "
        "schema infer <tmp>/raw.csv --target y` writes one from the data)",
    ],
    "long row": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "csv_format",
                    "count": 1,
                    "examples": [],
                    "message": "Error tokenizing data. C error: Expected 9 fields in "
                    "line 5, saw 10",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: Error tokenizing data. C error: Expected 9 "
        "fields in line 5, saw 10\n"
        "  fix: give every row as many fields as the header (check the quoting)",
    ],
    "unclosed quote": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "csv_format",
                    "count": 1,
                    "examples": [],
                    "message": "Error tokenizing data. C error: EOF inside string "
                    "starting at row 11",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: Error tokenizing data. C error: EOF "
        "inside string starting at row 11\n"
        "  fix: give every row as many fields as the header (check the quoting)",
    ],
    "blank and whitespace lines": [
        {"valid": True, "rows": 2, "columns": 9, "violations": []},
        {
            "age": ["int64", [30, 3]],
            "visits": ["Int64", [5, None]],
            "score": ["float64", ["0x1.8000000000000p+0", "-0x1.4000000000000p+1"]],
            "ratio": ["float64", ["0x1.0000000000000p-2", "0x1.4000000000000p+3"]],
            "city": ["str", ["north", "east, west"]],
            "note": ["str", ["hello", "quoted, comma"]],
            "spare": ["float64", ["0x1.0000000000000p+0", None]],
            "y": ["int64", [1, 0]],
        },
        None,
    ],
    "duplicate header": [
        {
            "valid": False,
            "rows": 10,
            "columns": 10,
            "violations": [
                {
                    "column": "age.1",
                    "rule": "extra_column",
                    "count": 10,
                    "examples": ["5"],
                    "message": "column not in schema.yaml",
                }
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (1 problems):\n"
        "  - age.1: extra_column in 10 rows: column not in schema.yaml; e.g. '5'\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m "
        "<package>.contract schema infer <tmp>/raw.csv --target y` writes one from "
        "the data)",
    ],
    "one column": [
        {
            "valid": False,
            "rows": 2,
            "columns": 1,
            "violations": [
                {
                    "column": "visits",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "score",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "ratio",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "city",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "note",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "spare",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
                {
                    "column": "y",
                    "rule": "missing_column",
                    "count": 2,
                    "examples": [],
                    "message": "column not in the file",
                },
            ],
        },
        None,
        "<tmp>/raw.csv breaks the data contract in <tmp>/schema.yaml (7 problems):\n"
        "  - visits: missing_column in 2 rows: column not in the file\n"
        "  - score: missing_column in 2 rows: column not in the file\n"
        "  - ratio: missing_column in 2 rows: column not in the file\n"
        "  - city: missing_column in 2 rows: column not in the file\n"
        "  - note: missing_column in 2 rows: column not in the file\n"
        "  - spare: missing_column in 2 rows: column not in the file\n"
        "  - y: missing_column in 2 rows: column not in the file\n"
        "  fix: correct the data or update <tmp>/schema.yaml (`python -m "
        "<package>.contract schema infer <tmp>/raw.csv --target y` writes one from the "
        "data)",
    ],
    "empty": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "empty_file",
                    "count": 0,
                    "examples": [],
                    "message": "the file is empty",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: the file is empty\n"
        "  fix: export the data again: the file has no content",
    ],
    "whitespace only": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "empty_file",
                    "count": 0,
                    "examples": [],
                    "message": "the file is empty",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: the file is empty\n"
        "  fix: export the data again: the file has no content",
    ],
    "header only": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "no_rows",
                    "count": 0,
                    "examples": [],
                    "message": "the file has a header but no rows",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: the file has a header but no rows\n"
        "  fix: export the rows too, not only the header",
    ],
    "semicolons": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "delimiter",
                    "count": 1,
                    "examples": ["cust;age;visits;score;ratio;city;note;spare;y"],
                    "message": "the header is semicolon-separated; the pipeline reads "
                    "comma-separated files",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: the header is semicolon-separated; the "
        "pipeline reads comma-separated files\n"
        "  fix: save the file comma-separated (e.g. pandas `to_csv(path, index=False)`)",
    ],
    "latin-1": [
        {
            "valid": False,
            "rows": 0,
            "columns": 0,
            "violations": [
                {
                    "column": None,
                    "rule": "encoding",
                    "count": 2,
                    "examples": ["line 2, byte offset 70", "line 12, byte offset 466"],
                    "message": "it is not UTF-8: byte 0xe9 at byte offset 70 (line 2) is "
                    "not valid UTF-8",
                }
            ],
        },
        None,
        "<tmp>/raw.csv cannot be read as CSV: it is not UTF-8: byte 0xe9 at byte offset 70 "
        "(line 2) is not valid UTF-8\n"
        "  fix: re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`)",
    ],
    "not found": [
        None,
        None,
        "<tmp>/raw.csv not found\n  fix: check the path, or `dvc pull` to fetch DVC-tracked data",
    ],
}
# Line endings and a byte-order mark change nothing.
EXPECTED["valid, CRLF and BOM"] = EXPECTED["valid"]
EXPECTED["invalid, CRLF"] = EXPECTED["invalid"]


# --- the same data as Parquet -----------------------------------------------------------------

# The cases pandas reads as a table (the others are about reading CSV text).
TABLE_CASES = [
    "valid",
    "valid, every number parsed once",
    "invalid",
    "late bad category",
    "late bad number",
    "short row",
    "blank and whitespace lines",
    "duplicate header",
    "one column",
]


def parquet_bytes(frame, tmp_path):
    frame.to_parquet(tmp_path / "frame.parquet", index=False)
    return (tmp_path / "frame.parquet").read_bytes()


def text_frame(tmp_path, case):
    (tmp_path / "case.csv").write_bytes(CASES[case])
    return read_csv_text(tmp_path / "case.csv")


@pytest.mark.parametrize("case", TABLE_CASES)
def test_the_csv_text_as_parquet_strings_answers_as_the_csv(tmp_path, case):
    data = parquet_bytes(text_frame(tmp_path, case), tmp_path)
    assert list(run(tmp_path, data, "raw.parquet")) == EXPECTED[case]


def typed(frame):
    """The frame as a user's Parquet would type it: numbers where every value is one (whole
    ones as Int64), text elsewhere, `city` as a pandas category (a Parquet dictionary)."""
    columns = {}
    for name in frame:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        if numbers.notna().sum() < frame[name].notna().sum():
            columns[name] = frame[name].astype("category") if name == "city" else frame[name]
        elif (numbers.dropna() % 1 == 0).all():
            columns[name] = numbers.astype("Int64")
        else:
            columns[name] = numbers
    return pd.DataFrame(columns)


# Typed columns breaking each rule: nulls, fractions in integers, infinities, out of range,
# float32, uint64 beyond int64, int8, bools as category text, a number column not in the schema.
TYPED_INVALID = pd.DataFrame(
    {
        "cust": [f"c{i}" for i in range(8)],
        "age": pd.array([30, 150, None, -1, 45, 2**53 + 1, 7, 120], "Int64"),
        "visits": [1.0, 2.5, np.nan, 4.0, 3.0, 1e15, 0.0, -2.0],
        "score": [1.5, np.inf, -11.0, 11.0, -0.0, np.nan, 0.1 + 0.2, 1e-7],
        # ratio: no -0, which would send the column through text whatever its type
        "ratio": np.array([0.1, 1 / 3, 2.5, 7, 1e10, 0.25, 3.14159, 1e-5], dtype="float32"),
        "city": pd.Categorical(
            ["north", "central", None, "south", "east, west", "West", "north", "north"]
        ),
        "note": [True, False, None, True, True, False, True, True],
        "spare": np.array([1, 2, 3, 2**63 + 5, 0, 1, 2, 3], dtype="uint64"),
        "y": np.array([0, 1, 2, 1, 0, 1, 0, 1], dtype="int8"),
        "extra": [1.5, None, 2.0, 3.0, None, 1.0, 2.0, 4.0],
    }
)
TYPED_VALID = TYPED_INVALID.drop(columns=["extra"]).assign(
    age=pd.array([30, 110, 1, 0, 45, 2, 7, 120], "Int64"),
    visits=[1.0, 2.0, np.nan, 4.0, 3.0, 1e15, 0.0, -2.0],
    score=[1.5, -0.0, -1.0, 1.0, -0.0, np.nan, 0.1 + 0.2, 1e-7],
    city=pd.Categorical(["north", "south", None, "south", "east, west", "north", "north", None]),
    y=np.array([0, 1, 0, 1, 0, 1, 0, 1], dtype="int8"),
)
TYPED_CASES = {
    **{case: lambda tmp_path, case=case: typed(text_frame(tmp_path, case)) for case in TABLE_CASES},
    "typed invalid": lambda tmp_path: TYPED_INVALID,
    "typed valid": lambda tmp_path: TYPED_VALID,
}


@pytest.mark.parametrize("case", TYPED_CASES)
def test_typed_parquet_answers_as_the_csv_pandas_writes_of_it(tmp_path, case):
    frame = TYPED_CASES[case](tmp_path)
    from_parquet = run(tmp_path, parquet_bytes(frame, tmp_path), "raw.parquet")
    written = pq.read_table(tmp_path / "out.parquet") if from_parquet[1] else None
    from_csv = run(tmp_path, frame.to_csv(index=False).encode(), "raw.csv")
    assert from_parquet == from_csv
    if written is not None:  # the same Arrow types and pandas metadata too
        assert written.equals(pq.read_table(tmp_path / "out.parquet"), check_metadata=True)


def test_the_typed_cases_hold_parquet_numbers_and_break_rules_on_them(tmp_path):
    typed_valid = typed(text_frame(tmp_path, "valid"))
    assert {str(typed_valid[name].dtype) for name in ("age", "score", "y")} == {"Int64", "float64"}
    report, _, _ = run(tmp_path, parquet_bytes(TYPED_INVALID, tmp_path), "raw.parquet")
    found = {(v["column"], v["rule"]): v["examples"] for v in report["violations"]}
    assert found[("age", "out_of_range")] == ["150", "-1", "9007199254740993"]
    assert found[("visits", "dtype")] == ["2.5"] and found[("score", "dtype")] == ["inf"]
    assert found[("city", "category")] == ["central", "West"]
