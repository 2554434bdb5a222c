"""report.md: the report's facts as a page a person reads top to bottom."""

from __future__ import annotations

from typing import Any

_LISTED_PAIRS = 20


def _count(number: int, noun: str, plural: str | None = None) -> str:
  """'1 pair', '2 pairs'."""
  return f"{number} {noun if number == 1 else plural or noun + 's'}"


def _member(member: dict[str, str]) -> str:
  return f"{member['split']} `{member.get('file_name', member['key'])}`"


def _balance(facts: dict[str, Any]) -> list[str]:
  lines = []
  for split, finding in facts["imbalance"].items():
    if not finding["imbalanced"]:
      continue
    text = f"- **{split} is imbalanced**:"
    if finding["largest"]:
      (big, n_big), (small, n_small) = finding["largest"], finding["smallest"]
      text += (f" {big} has {n_big} examples, {finding['ratio']:.1f}x the "
               f"{n_small} of {small}.")
    if finding["missing"]:
      text += f" No example of {', '.join(finding['missing'])}."
    lines.append(text)
  return lines or ["- Every split is balanced (largest class at most "
                   f"{facts['thresholds']['imbalance_ratio']}x the "
                   "smallest)."]


def _duplicates(facts: dict[str, Any]) -> list[str]:
  exact = facts["exact_duplicates"]
  cross_exact = [g for g in exact if len({m["split"] for m in g}) > 1]
  near, within = (facts["near_duplicates"],
                  facts["near_duplicates_within_splits"])
  lines = [
      f"- Exact duplicates (equal pixels): {_count(len(exact), 'group')}, "
      f"{len(cross_exact)} of them spanning splits.",
      f"- Near duplicates across splits: {_count(len(near), 'pair')}; within "
      f"a split: {_count(len(within), 'pair')}.", ""]
  for group in cross_exact[:_LISTED_PAIRS]:
    lines.append("- exact: " + " = ".join(_member(m) for m in group))
  for kind, pairs in (("near", near), ("near, within a split", within)):
    for pair in pairs[:_LISTED_PAIRS]:
      lines.append(f"- {kind}: {_member(pair['a'])} ~ {_member(pair['b'])} "
                   f"(hash distance {pair['distance']}, similarity "
                   f"{pair['similarity']:.3f})")
    if len(pairs) > _LISTED_PAIRS:
      lines.append(f"- ... {len(pairs) - _LISTED_PAIRS} more {kind} pairs "
                   "in report.json.")
  if "near_duplicates" in facts["figures"]:
    lines += ["", f"![closest pairs]({facts['figures']['near_duplicates']})"]
  thresholds = facts["thresholds"]
  lines += ["", f"Near duplicate: hash distance at most "
                f"{thresholds['max_hash_distance']} bits and similarity at "
                f"least {thresholds['min_similarity']} ({thresholds['hash']}; "
                f"similarity: {thresholds['similarity']})."]
  return lines


def _table(facts: dict[str, Any]) -> list[str]:
  splits = list(facts["class_counts"])
  lines = ["| class | " + " | ".join(splits) + " |",
           "|---|" + "---:|" * len(splits)]
  names = list(next(iter(facts["class_counts"].values())))
  for name in names:
    lines.append(f"| {name} | " + " | ".join(
        str(facts["class_counts"][s][name]) for s in splits) + " |")
  return lines


def _sizes(facts: dict[str, Any]) -> list[str]:
  lines = []
  for split, sizes in facts["image_sizes"].items():
    if sizes["distinct"] == 1:
      lines.append(f"- {split}: all {sizes['most_common'][0][0]}")
      continue
    common = ", ".join(f"{size} ({n})" for size, n in sizes["most_common"])
    lines.append(
        f"- {split}: {sizes['distinct']} sizes, from "
        f"{'x'.join(map(str, sizes['smallest']))} to "
        f"{'x'.join(map(str, sizes['largest']))}, median "
        f"{'x'.join(map(str, sizes['median']))}; most common {common}")
  return lines


def _build(facts: dict[str, Any]) -> list[str]:
  metadata = facts["build_metadata"]
  lines = []
  for split, counts in sorted(metadata.get("counts", {}).items()):
    lines.append(f"- {split}: " + ", ".join(
        f"{key} {value}" for key, value in counts.items()))
  for key in ("label_scheme", "rows", "max_side"):
    if metadata.get(key) is not None:
      lines.append(f"- {key}: {metadata[key]}")
  return lines


def render(facts: dict[str, Any]) -> str:
  """The whole report.md text."""
  total = sum(facts["splits"].values())
  lines = [f"# Dataset report: {facts['dataset']}", "",
           f"{total} examples: " + ", ".join(
               f"{split} {n}" for split, n in facts["splits"].items()) + ".",
           "", "## Duplicates", "", *_duplicates(facts),
           "", "## Class balance", "", *_balance(facts), "",
           f"![examples per class]({facts['figures']['balance']})", "",
           *_table(facts), "", "## Samples", "",
           f"![samples per class]({facts['figures']['samples']})", "",
           "## Stored image sizes (height x width)", "", *_sizes(facts)]
  build = _build(facts)
  if build:
    lines += ["", "## Build record (metadata.json)", "", *build]
  return "\n".join(lines) + "\n"
