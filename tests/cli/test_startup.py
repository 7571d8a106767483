"""``finstab --help`` starts without the numerical stack: only typer and rich are imported."""

import subprocess
import sys


def test_help_imports_no_heavy_module():
    code = ("import sys, finstab.cli.main\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy', 'numpy', 'ruptures', "
            "'matplotlib', 'sqlalchemy', 'duckdb', 'fastapi'})\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lazy_api_imports_on_first_use():
    code = "import sys, finstab as fs\nassert 'pandas' not in sys.modules\nfs.Monitor\nassert 'pandas' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
