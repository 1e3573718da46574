"""Write the leaderboard out: JSON (source of truth), CSV, Markdown, a static HTML page, PNG plots.

Every table is derived from ``leaderboard.json`` alone. Neighbouring rows whose confidence intervals
overlap are marked as ties (``=``): the order between them is not established by the data.
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from botarena.envs.common.io import atomic_write_bytes, atomic_write_text

from .stats import Interval, intervals_overlap

__all__ = ["write_reports", "markdown_tables"]

PRIOR_NOTE = ("† won every game or never beat anyone: the rating has no finite maximum-likelihood value and "
              "rests on the prior (Gamma(2, 1)); read it as a bound, not an estimate.")
NORMALIZED_NOTE = ("Normalised IQM: the IQM of returns rescaled per task (TickDuel: per build) so that the mean return "
                   "of the table's zero reference is 0 and of its one reference is 1 (each single-player table names "
                   "its references, their mean returns, and why they were chosen); its CI resamples the references "
                   "too.")


def _iv(d: dict[str, float] | None) -> Interval | None:
    return None if d is None else Interval(d["value"], d["low"], d["high"])


def _fmt(d: dict[str, float] | None, digits: int = 2) -> str:
    if d is None:
        return "-"
    return f"{d['value']:.{digits}f} [{d['low']:.{digits}f}, {d['high']:.{digits}f}]"


def _primary(table: dict[str, Any]) -> str:
    return "iqm" if table["kind"] == "single" else "rating"


def _rows(table: dict[str, Any]) -> list[list[str]]:
    ok = [e for e in table["agents"] if e["status"] == "ok"]
    key = _primary(table)
    out = []
    for i, entry in enumerate(ok):
        neighbours = ok[max(i - 1, 0):i] + ok[i + 1:i + 2]
        tie = any(intervals_overlap(_iv(entry[key]), _iv(other[key])) for other in neighbours)
        mark = f"{i + 1}{'=' if tie else ''}"
        rating = _fmt(entry["rating"], 0) + (" †" if "prior_bound" in entry else "") if "rating" in entry else ""
        if table["kind"] == "duel":
            out.append([mark, entry["agent"], rating,
                        f"{entry['wins']} / {entry['draws']} / {entry['losses']}",
                        "-" if entry["score_rate"] is None else f"{entry['score_rate']:.2f}", str(entry["games"])])
        elif table["kind"] == "ffa":
            skill = entry["openskill"]
            out.append([mark, entry["agent"], rating, _fmt(entry["placement"]),
                        _fmt(entry["win_rate"]), f"{skill['mu']:.1f} / {skill['sigma']:.1f} / {skill['ordinal']:.1f}",
                        str(entry["games"])])
        else:
            out.append([mark, entry["agent"], _fmt(entry["iqm"]), _fmt(entry["mean"]),
                        _fmt(entry.get("normalized_iqm")), _fmt(entry.get("p_improvement_over_next")),
                        str(entry["games"])])
    for entry in table["agents"]:
        if entry["status"] == "failed":
            out.append(["-", entry["agent"], f"FAILED: {entry['error']}"] + [""] * (len(_header(table)) - 3))
    return out


def _header(table: dict[str, Any]) -> list[str]:
    if table["kind"] == "ffa":
        return ["rank", "agent", "rating (Elo-like, 95% CI)", "avg placement", "win rate",
                "OpenSkill mu / sigma / ordinal", "games"]
    if table["kind"] == "duel":
        return ["rank", "agent", "Bradley-Terry rating (Elo-like, 95% CI)", "wins / draws / losses", "score rate",
                "games"]
    return ["rank", "agent", "IQM return", "mean return", "normalised IQM", "P(improve over next)", "episodes"]


def markdown_tables(board: dict[str, Any]) -> str:
    parts = ["# botarena leaderboard", ""]
    for name, table in board["tables"].items():
        parts += [f"## {name} ({table['env_id']}, {table['episodes']} episodes)", "",
                  f"*{table.get('setting', '')}*", ""]
        header = _header(table)
        parts.append("| " + " | ".join(header) + " |")
        parts.append("|" + "|".join("---" for _ in header) + "|")
        parts += ["| " + " | ".join(row) + " |" for row in _rows(table)]
        parts.append("")
        if "normalization" in table:
            parts += [_references_line(table["normalization"]), ""]
        if table.get("crosstable", {}).get("agents"):
            parts += [_crosstable_markdown(table["crosstable"]), ""]
        variants = _variant_rows(table)
        if variants:
            parts += ["Mean return per build (95% CI):", "", "| agent | " + " | ".join(variants[0]) + " |",
                      "|---|" + "|".join("---" for _ in variants[0]) + "|"]
            parts += ["| " + " | ".join(row) + " |" for row in variants[1:]]
            parts.append("")
    parts.append(_overall_markdown(board))
    parts += ["Ranks marked `=` have a 95% confidence interval that overlaps a neighbour's: a statistical tie.", "",
              NORMALIZED_NOTE, "", PRIOR_NOTE]
    return "\n".join(parts) + "\n"


def _references_line(normalization: dict[str, Any]) -> str:
    """Which agents are 0 and 1 of the normalised score, their mean returns here, and why they were chosen."""
    if normalization["status"] == "none":
        return f"Normalised scores: none: {normalization['why']}."

    def side(entry: dict[str, Any]) -> str:
        mean = entry.get("mean_return")
        return entry["agent"] + ("" if mean is None else f" (mean return {mean:.2f})")

    line = (f"Normalised scores: 0 = {side(normalization['zero'])}, 1 = {side(normalization['one'])}. "
            f"Why: {normalization['why']}.")
    if normalization["status"] != "ok":
        line += f" This run is {normalization['status']}."
    return line


def _variant_rows(table: dict[str, Any]) -> list[list[str]]:
    """[variant names], then [agent, mean per variant...] for single-player tables played in several variants."""
    ok = [e for e in table["agents"] if e["status"] == "ok" and "per_variant_mean" in e]
    if not ok:
        return []
    variants = list(ok[0]["per_variant_mean"])
    return [variants] + [[e["agent"]] + [_fmt(e["per_variant_mean"][v]) for v in variants] for e in ok]


def _crosstable_cells(crosstable: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Column labels (agent families) and rows: the row agent's score rate against the column agent."""
    names = crosstable["agents"]
    cells = [[name] + ["" if i == j else ("-" if v is None else f"{v:.2f}") for j, v in enumerate(row)]
             for i, (name, row) in enumerate(zip(names, crosstable["score_rate"], strict=True))]
    return [n.split("/", 1)[-1] for n in names], cells


def _crosstable_markdown(crosstable: dict[str, Any]) -> str:
    labels, cells = _crosstable_cells(crosstable)
    lines = ["Crosstable: the row agent's score rate against the column agent (win 1, draw 1/2).", "",
             "| vs | " + " | ".join(labels) + " |", "|---|" + "|".join("---" for _ in labels) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _overall_cells(board: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per agent family (the part of the name after the game), its rank on every table."""
    families: dict[str, dict[str, str]] = {}
    for name, table in board["tables"].items():
        for row in _rows(table):
            family = row[1].split("/", 1)[-1]
            families.setdefault(family, {})[name] = row[0] if row[0] != "-" else "failed"
    tables = list(board["tables"])
    return tables, [[family] + [families[family].get(t, "-") for t in tables] for family in sorted(families)]


def _overall_markdown(board: dict[str, Any]) -> str:
    tables, rows = _overall_cells(board)
    lines = ["## Overall (rank per table)", "", "| agent | " + " | ".join(tables) + " |",
             "|---|" + "|".join("---" for _ in tables) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _csv(board: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "agent", "status", "metric", "value", "low", "high"])
    for name, table in board["tables"].items():
        for entry in table["agents"]:
            if entry["status"] == "failed":
                writer.writerow([name, entry["agent"], "failed", "error", entry["error"], "", ""])
                continue
            for metric, value in entry.items():
                if isinstance(value, dict) and "value" in value:
                    writer.writerow([name, entry["agent"], "ok", metric, value["value"], value["low"], value["high"]])
                elif metric == "per_variant_mean":
                    for variant, iv in value.items():
                        writer.writerow([name, entry["agent"], "ok", f"mean[{variant}]", iv["value"], iv["low"],
                                         iv["high"]])
                elif metric in ("games", "wins", "draws", "losses", "score_rate", "prior_bound"):
                    writer.writerow([name, entry["agent"], "ok", metric, value, "", ""])
    return buffer.getvalue()


def _plot(table_name: str, table: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = _primary(table)
    ok = [e for e in table["agents"] if e["status"] == "ok"][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(ok) + 1.2), dpi=100)
    for y, entry in enumerate(ok):
        iv = entry[key]
        ax.plot([iv["low"], iv["high"]], [y, y], color="#3b6ea5", linewidth=6, solid_capstyle="butt", alpha=0.6)
        ax.plot([iv["value"]], [y], "o", color="#12355b")
    ax.set_yticks(range(len(ok)), [e["agent"] for e in ok])
    ax.set_xlabel({"ffa": "Plackett-Luce rating (Elo-like)", "duel": "Bradley-Terry rating (Elo-like)"}
                  .get(table["kind"], "IQM return"))
    ax.set_title(f"{table_name}: point estimates and 95% CIs")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())


def _html(board: dict[str, Any], plots: dict[str, str]) -> str:
    body = ["<h1>botarena leaderboard</h1>"]
    for name, table in board["tables"].items():
        body.append(f"<h2>{html.escape(name)} <small>({html.escape(table['env_id'])}, "
                    f"{table['episodes']} episodes)</small></h2>")
        body.append(f"<p><em>{html.escape(table.get('setting', ''))}</em></p>")
        body.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in _header(table)) + "</tr>")
        for row in _rows(table):
            cls = ' class="failed"' if row[0] == "-" else ""
            body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        body.append("</table>")
        if "normalization" in table:
            body.append(f"<p>{html.escape(_references_line(table['normalization']))}</p>")
        if table.get("crosstable", {}).get("agents"):
            labels, cells = _crosstable_cells(table["crosstable"])
            body.append("<p>Crosstable: the row agent's score rate against the column agent (win 1, draw 1/2).</p>")
            body.append("<table><tr><th>vs</th>" + "".join(f"<th>{html.escape(c)}</th>" for c in labels) + "</tr>")
            body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells]
            body.append("</table>")
        variants = _variant_rows(table)
        if variants:
            body.append("<p>Mean return per build (95% CI):</p><table><tr><th>agent</th>"
                        + "".join(f"<th>{html.escape(v)}</th>" for v in variants[0]) + "</tr>")
            body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in variants[1:]]
            body.append("</table>")
        if name in plots:
            body.append(f'<img src="{html.escape(plots[name])}" alt="{html.escape(name)} intervals">')
    tables, rows = _overall_cells(board)
    body.append("<h2>Overall (rank per table)</h2><table><tr><th>agent</th>"
                + "".join(f"<th>{html.escape(t)}</th>" for t in tables) + "</tr>")
    body += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows]
    body.append("</table>")
    body.append("<p>Ranks marked = have a 95% confidence interval overlapping a neighbour's (a statistical tie). "
                f"{html.escape(NORMALIZED_NOTE)} {html.escape(PRIOR_NOTE)} "
                "See leaderboard.json for every number and manifest.json for how it was produced.</p>")
    style = ("body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
             "th{background:#eef2f7}tr.failed td{color:#a00}img{max-width:720px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>botarena leaderboard</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def write_reports(board: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write every report into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "leaderboard.json", "csv": out / "leaderboard.csv", "md": out / "LEADERBOARD.md",
             "html": out / "leaderboard.html"}
    atomic_write_text(paths["json"], json.dumps(board, indent=2, sort_keys=True) + "\n")
    atomic_write_text(paths["csv"], _csv(board))
    atomic_write_text(paths["md"], markdown_tables(board))
    plots = {}
    for name, table in board["tables"].items():
        if any(e["status"] == "ok" for e in table["agents"]):
            plot = out / f"intervals_{name}.png"
            _plot(name, table, plot)
            plots[name] = plot.name
            paths[f"png_{name}"] = plot
    atomic_write_text(paths["html"], _html(board, plots))
    return paths
