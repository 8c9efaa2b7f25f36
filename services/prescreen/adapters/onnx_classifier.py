"""A local text classifier: ONNX model files an operator provides, run with onnxruntime.

Nothing is downloaded: the operator exports a classifier (for example a multilingual
toxicity model) to ``model.onnx`` with its ``tokenizer.json`` (Hugging Face tokenizers
format), and describes its outputs in a labels file::

    name: multilingual-toxicity   # names the findings and, with the model's digest, the version
    languages: [en, fr, de]       # the languages it was trained for: no other text is scored
    max_length: 256               # tokens per text (longer texts are cut)
    batch_size: 64                # texts per run of the model
    activation: sigmoid           # sigmoid (multi-label), softmax, or none (already 0..1)
    threshold: 0.5                # a label scoring this much or more is a finding
    labels:                       # one per model output, in the model's order
      - {label: toxic, category: harassment_threats}
      - {label: identity_attack, category: hate_speech}
      - {label: neutral}          # no category: read and ignored

The model takes ``input_ids`` and ``attention_mask`` (and ``token_type_ids`` if it declares
it) and its first output is ``(batch, labels)``. Every file is checked at start-up, and a
model that does not fit its labels file is refused with the reason; a service never starts
with a classifier it cannot run. The texts of a whole stage batch are classified together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime
import yaml
from tokenizers import Tokenizer

from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from shared.events import Category

NAME = "classifier"
_ACTIVATIONS = ("sigmoid", "softmax", "none")


class ClassifierFilesError(ValueError):
    """Model files that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True, slots=True)
class Labels:
    """The labels file, as validated."""

    name: str
    languages: tuple[str, ...]
    categories: tuple[Category | None, ...]
    names: tuple[str, ...]
    max_length: int = 256
    batch_size: int = 64
    activation: str = "sigmoid"
    threshold: float = 0.5


def read_labels(path: Path) -> Labels:  # noqa: PLR0912 - one check a field, in order
    """Read and check a labels file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ClassifierFilesError(f"{path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError:
        raise ClassifierFilesError(f"{path}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise ClassifierFilesError(f"{path}: a mapping with name, languages and labels")
    unknown = set(raw) - {"name", "languages", "max_length", "batch_size", "activation",
                          "threshold", "labels"}  # fmt: skip
    if unknown:
        raise ClassifierFilesError(f"{path}: unknown field(s) {sorted(map(str, unknown))}")
    name, languages, labels = raw.get("name"), raw.get("languages"), raw.get("labels")
    if not isinstance(name, str) or not name.strip():
        raise ClassifierFilesError(f"{path}: name is a non-empty string")
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise ClassifierFilesError(f"{path}: languages is a list of ISO 639-1 codes")
    if not isinstance(labels, list) or not labels:
        raise ClassifierFilesError(f"{path}: labels is a non-empty list")
    categories: list[Category | None] = []
    names: list[str] = []
    for position, entry in enumerate(labels, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), str):
            raise ClassifierFilesError(f"{path}: label #{position} needs a label name")
        names.append(entry["label"])
        category = entry.get("category")
        try:
            categories.append(None if category is None else Category(category))
        except ValueError:
            raise ClassifierFilesError(
                f"{path}: label {entry['label']!r}: {category!r} is not a category"
            ) from None
    activation = raw.get("activation", "sigmoid")
    if activation not in _ACTIVATIONS:
        raise ClassifierFilesError(f"{path}: activation is one of {list(_ACTIVATIONS)}")
    numbers = {k: raw.get(k, d) for k, d in (("max_length", 256), ("batch_size", 64))}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in numbers.values()):
        raise ClassifierFilesError(f"{path}: max_length and batch_size are positive integers")
    threshold = raw.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ClassifierFilesError(f"{path}: threshold is a number")
    return Labels(
        name=name,
        languages=tuple(x.lower() for x in languages),
        categories=tuple(categories),
        names=tuple(names),
        max_length=numbers["max_length"],
        batch_size=numbers["batch_size"],
        activation=str(activation),
        threshold=float(threshold),
    )


class OnnxClassifier:
    """Scores case texts with a local ONNX classifier; see the module docstring."""

    name = NAME
    #: It scores only the languages it knows: it runs once the texts' languages are known.
    reads_languages = True

    def __init__(self, *, model: Path, tokenizer: Path, labels: Path) -> None:
        self.labels = read_labels(labels)
        for path in (model, tokenizer):
            if not path.is_file():
                raise ClassifierFilesError(f"{path}: no such file")
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer))
        except Exception as error:  # noqa: BLE001 - tokenizers raises plain Exception
            raise ClassifierFilesError(f"{tokenizer}: not a tokenizer.json ({error})") from None
        self._tokenizer.enable_truncation(self.labels.max_length)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        # the stage's other threads and the text child process share the cores
        options.intra_op_num_threads = 1
        try:
            self._session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own Fail types
            raise ClassifierFilesError(f"{model}: onnxruntime cannot load it ({error})") from None
        self._inputs = {i.name for i in self._session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - self._inputs
        if missing:
            raise ClassifierFilesError(f"{model}: the model has no input {sorted(missing)}")
        digest = hashlib.sha256(model.read_bytes()).hexdigest()
        self.version = f"{self.labels.name}+{digest[:12]}"[:128]
        # one text through the model now: a wrong output shape is refused at start-up
        width = self._probabilities(["check"]).shape[1]
        if width != len(self.labels.names):
            raise ClassifierFilesError(
                f"{model}: the model gives {width} outputs, {labels} names "
                f"{len(self.labels.names)} labels"
            )

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score every text of a language the model knows, the whole batch at once."""
        texts = [
            (index, item.text)
            for index, case in enumerate(cases)
            for item in case.texts
            if item.text.strip() and (item.language or "") in self.labels.languages
        ]
        best: dict[int, npt.NDArray[np.float32]] = {}
        size = self.labels.batch_size
        for start in range(0, len(texts), size):
            chunk = texts[start : start + size]
            for (index, _), row in zip(
                chunk, self._probabilities([t for _, t in chunk]), strict=True
            ):
                best[index] = row if index not in best else np.maximum(best[index], row)
        return [self._result(case, best.get(index)) for index, case in enumerate(cases)]

    def _result(self, case: CaseInput, row: npt.NDArray[np.float32] | None) -> ScreenerResult:
        if row is None:
            if not any(item.text.strip() for item in case.texts):
                return ScreenerResult(NAME, self.version, Usability.NO_INPUT)
            note = "no text in a language this model was trained for"
            return ScreenerResult(NAME, self.version, Usability.NO_INPUT, notes=(note,))
        scores: dict[Category, float] = {}
        findings = []
        for label, category, value in zip(
            self.labels.names, self.labels.categories, row.tolist(), strict=True
        ):
            if category is None:
                continue
            scores[category] = max(scores.get(category, 0.0), round(float(value), 4))
            if value >= self.labels.threshold:
                findings.append(Finding("model", category, f"{self.labels.name}:{label}"[:128]))
        return ScreenerResult(NAME, self.version, Usability.USED, scores, tuple(findings))

    def _probabilities(self, texts: list[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        feed: dict[str, Any] = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        try:
            outputs = self._session.run(None, feed)
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own Fail types
            raise ClassifierFilesError(f"the model failed on a batch ({error})") from None
        logits = np.asarray(outputs[0], dtype=np.float32)
        if logits.ndim != 2 or logits.shape[0] != len(texts):
            raise ClassifierFilesError(
                f"the model's first output is {logits.shape}, not (batch, labels)"
            )
        if self.labels.activation == "sigmoid":
            probabilities = 1.0 / (1.0 + np.exp(-logits))
        elif self.labels.activation == "softmax":
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        else:
            probabilities = np.clip(logits, 0.0, 1.0)
        return np.asarray(probabilities, dtype=np.float32)
