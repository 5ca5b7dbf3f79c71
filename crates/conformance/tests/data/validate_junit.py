"""Validates JUnit XML files against junit.xsd (beside this script).

Usage: python3 validate_junit.py FILE...  (needs `pip install xmlschema`, see requirements.txt)
Exit 0 when every file is valid, 1 with the reasons otherwise, 3 when xmlschema is missing.
"""
import pathlib
import sys

try:
    import xmlschema
except ImportError:
    print("python module xmlschema is missing: pip install -r crates/conformance/tests/data/requirements.txt (the Rust test does it in a venv)", file=sys.stderr)
    sys.exit(3)

schema = xmlschema.XMLSchema(pathlib.Path(__file__).with_name("junit.xsd"))
bad = 0
for name in sys.argv[1:]:
    errors = list(schema.iter_errors(name))
    for error in errors:
        print(f"{name}: {error.reason} at {error.path}", file=sys.stderr)
    bad += bool(errors)
sys.exit(1 if bad else 0)
