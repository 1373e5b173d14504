"""Audit the pinned requirements for known vulnerabilities with pip-audit (run by `make audit`).

Exit 0: every pinned dependency was checked and none has a known vulnerability.
Exit 1: a pinned dependency has a known vulnerability (listed with the fixed versions).
Exit 2: some dependencies could not be checked, e.g. the vulnerability database (PyPI's JSON API or
        OSV) is unreachable from this machine. pip-audit itself reports "No known vulnerabilities
        found" in that case, so this script counts what was actually audited and says so loudly.
        With PIP_AUDIT_ALLOW_UNAUDITED=1 this case prints the same warning and exits 0.

Fallback: some networks (this project's machines among them) proxy PyPI's project JSON
(/pypi/<name>/json) but not the per-release JSON pip-audit asks for. The project JSON lists the known
vulnerabilities of the project's latest release, so a dependency pinned at the latest release is
audited from it; one pinned at an older release stays "not audited" (never assumed safe).
"""

import json
import os
import re
import subprocess
import sys
import urllib.request

REQUIREMENTS = ["requirements.txt", "requirements-dev.txt"]


def main():
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--desc", "off"]
    for name in REQUIREMENTS:
        command += ["-r", name]
    run = subprocess.run(command, capture_output=True, text=True)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not produce a report (exit {run.returncode}):\n{run.stderr[-3000:]}", file=sys.stderr)
        return 2
    dependencies = report["dependencies"]
    for d in dependencies:
        if "skip_reason" in d:
            audit_from_project_json(d)
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unaudited = [d for d in dependencies if "skip_reason" in d]
    audited = len(dependencies) - len(unaudited)
    for d in vulnerable:
        for v in d["vulns"]:
            fixed = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {d['name']}=={d['version']}: {v['id']} (fixed in {fixed})")
    print(f"pip-audit: {audited} of {len(dependencies)} dependencies audited, {len(vulnerable)} vulnerable.")
    if vulnerable:
        return 1
    if unaudited:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in unaudited})
        print(
            f"\n*** NOT AUDITED: {len(unaudited)} of {len(dependencies)} dependencies could not be checked "
            f"({'; '.join(reasons)}), e.g. {', '.join(d['name'] for d in unaudited[:5])}.\n"
            "*** The vulnerability database (PyPI JSON API / OSV) is probably unreachable from this machine.\n"
            "*** No claim is made about these dependencies: run `make audit` where PyPI is reachable.",
            file=sys.stderr,
        )
        return 0 if os.environ.get("PIP_AUDIT_ALLOW_UNAUDITED") == "1" else 2
    return 0


def audit_from_project_json(dependency):
    """Audit a dependency pinned at its project's latest release from PyPI's project JSON (see above)."""
    version = dependency.get("version") or re.search(r"\(([^()]+)\)\s*$", dependency["skip_reason"]).group(1)
    dependency["version"] = version
    url = f"https://pypi.org/pypi/{dependency['name']}/json"
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            project = json.load(response)
    except (OSError, ValueError):
        return
    if project.get("info", {}).get("version") != version or "vulnerabilities" not in project:
        dependency["skip_reason"] = f"pinned below the latest release ({project['info']['version']}): not audited"
        return
    del dependency["skip_reason"]
    dependency["vulns"] = [
        {"id": v.get("id", "?"), "fix_versions": v.get("fixed_in") or []} for v in project["vulnerabilities"]
    ]


if __name__ == "__main__":
    sys.exit(main())
