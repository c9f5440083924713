"""Static analysis: ruff's security rules (flake8-bandit, ``S``) run in CI with nothing unexplained."""

import re
import subprocess
import tomllib

from app.config import PROJECT_ROOT

RUFF = PROJECT_ROOT / ".venv" / "bin" / "ruff"
SUPPRESSION = re.compile(r"#\s*(?:ruff:\s*)?noqa:\s*([A-Z0-9, ]*S\d{3}[A-Z0-9, ]*)(.*)$")


def test_security_rules_are_enabled_and_ci_runs_them():
    config = tomllib.loads((PROJECT_ROOT / "ruff.toml").read_text(encoding="utf-8"))
    assert "S" in config["lint"]["select"]
    assert not any(code.startswith("S") for code in config["lint"].get("ignore", [])), "S rules ignored globally"
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:.*\blint\b", makefile, re.MULTILINE) and "ruff check ." in makefile


def test_ruff_finds_nothing():
    result = subprocess.run(
        [str(RUFF), "check", "--output-format", "concise", "."],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_inline_security_suppression_gives_a_reason():
    unexplained = []
    for path in PROJECT_ROOT.rglob("*.py"):
        if ".venv" in path.parts or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = SUPPRESSION.search(line)
            if found and len(re.sub(r"[\s()—–:-]", "", found.group(2))) < 8:
                unexplained.append(f"{path.relative_to(PROJECT_ROOT)}:{number}")
    assert unexplained == [], f"`# noqa: S###` without a reason: {unexplained}"
