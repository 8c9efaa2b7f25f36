"""The local classifier adapter, with a tiny model and tokenizer this test builds and exports.

The model is a bag of words: an embedding per token, averaged over the text's tokens (the
attention mask says which are real), then a linear layer to two logits (toxic, hateful). It
is what an exported transformer looks like from outside: ``input_ids`` and
``attention_mask`` in, ``(texts, labels)`` logits out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers

from services.prescreen.adapters.onnx_classifier import ClassifierFilesError, OnnxClassifier
from services.prescreen.core.model import CaseInput, TextItem, Usability
from shared.events import Category

VOCAB = {"[PAD]": 0, "[UNK]": 1, "idiot": 2, "imbecile": 3, "vermin": 4, "hello": 5, "bonjour": 6}
LABELS = """
name: tiny-toxicity
languages: [en, fr]
max_length: 16
batch_size: 2
labels:
  - {label: toxic, category: harassment_threats}
  - {label: hateful, category: hate_speech}
"""


def build_model(path: Path, *, labels: int = 2, inputs: tuple[str, ...] = ("input_ids",)) -> None:
    """Export the bag-of-words model: toxic words push logit 0 up, "vermin" logit 1."""
    embedding = np.zeros((len(VOCAB), labels), dtype=np.float32)
    embedding[VOCAB["idiot"], 0] = embedding[VOCAB["imbecile"], 0] = 20.0
    embedding[VOCAB["vermin"], labels - 1] = 20.0
    bias = np.full(labels, -3.0, dtype=np.float32)
    nodes = [
        helper.make_node("Gather", ["table", inputs[0]], ["vectors"]),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last"], ["mask3"]),
        helper.make_node("Mul", ["vectors", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "tokens_axis"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "tokens_axis"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["mean"]),
        helper.make_node("Add", ["mean", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-toxicity",
        [
            helper.make_tensor_value_info(inputs[0], TensorProto.INT64, ["texts", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["texts", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["texts", labels])],
        initializer=[
            numpy_helper.from_array(embedding, "table"),
            numpy_helper.from_array(bias, "bias"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "last"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "tokens_axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build_tokenizer(path: Path) -> None:
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(path))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "model": tmp_path / "model.onnx",
        "tokenizer": tmp_path / "tokenizer.json",
        "labels": tmp_path / "labels.yaml",
    }
    build_model(paths["model"])
    build_tokenizer(paths["tokenizer"])
    paths["labels"].write_text(LABELS)
    return paths


def case(*texts: tuple[str, str | None]) -> CaseInput:
    items = tuple(TextItem("excerpt", text, language) for text, language in texts)
    return CaseInput("c", 1, Category.OTHER, texts=items)


def test_texts_are_scored_per_label_and_mapped_to_categories(files: dict[str, Path]) -> None:
    classifier = OnnxClassifier(**files)
    insult, hateful, calm, german, empty = classifier.screen(
        [
            case(("hello you idiot", "en")),
            case(("bonjour", "fr"), ("vermin vermin", "fr")),  # the worse text counts
            case(("hello hello", "en")),
            case(("idiot", "de")),  # a language the model was not trained for
            CaseInput("c", 1, Category.OTHER),
        ]
    )
    assert insult.usability is Usability.USED
    assert insult.scores[Category.HARASSMENT] > 0.9
    assert insult.scores[Category.HATE_SPEECH] < 0.1
    assert [f.ref for f in insult.findings] == ["tiny-toxicity:toxic"]
    assert hateful.scores[Category.HATE_SPEECH] > 0.9
    assert calm.scores[Category.HARASSMENT] < 0.1
    assert calm.findings == ()
    assert german.usability is Usability.NO_INPUT
    assert german.notes == ("no text in a language this model was trained for",)
    assert empty.usability is Usability.NO_INPUT
    assert classifier.version.startswith("tiny-toxicity+")


def test_a_batch_larger_than_the_models_batch_size_gives_the_same_scores(
    files: dict[str, Path],
) -> None:
    classifier = OnnxClassifier(**files)
    texts = ["idiot", "hello", "vermin hello", "bonjour imbecile", "hello hello hello"]
    one_by_one = [classifier.screen([case((t, "en"))])[0].scores for t in texts]
    together = [r.scores for r in classifier.screen([case((t, "en")) for t in texts])]
    assert together == one_by_one


def test_missing_files_are_named(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ClassifierFilesError, match=r"model\.onnx: no such file"):
        OnnxClassifier(**{**files, "model": tmp_path / "gone" / "model.onnx"})
    with pytest.raises(ClassifierFilesError, match=r"labels\.yaml: cannot be read"):
        OnnxClassifier(**{**files, "labels": tmp_path / "gone" / "labels.yaml"})


def test_wrong_files_are_refused_with_the_reason(files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "garbage.onnx").write_bytes(b"not a model")
    with pytest.raises(ClassifierFilesError, match="onnxruntime cannot load it"):
        OnnxClassifier(**{**files, "model": tmp_path / "garbage.onnx"})
    (tmp_path / "garbage.json").write_text("{}")
    with pytest.raises(ClassifierFilesError, match=r"not a tokenizer\.json"):
        OnnxClassifier(**{**files, "tokenizer": tmp_path / "garbage.json"})
    build_model(tmp_path / "three.onnx", labels=3)
    with pytest.raises(ClassifierFilesError, match=r"gives 3 outputs, .* names 2 labels"):
        OnnxClassifier(**{**files, "model": tmp_path / "three.onnx"})
    build_model(tmp_path / "renamed.onnx", inputs=("tokens",))
    with pytest.raises(ClassifierFilesError, match=r"no input \['input_ids'\]"):
        OnnxClassifier(**{**files, "model": tmp_path / "renamed.onnx"})
    files["labels"].write_text(LABELS.replace("hate_speech", "rudeness"))
    with pytest.raises(ClassifierFilesError, match="'rudeness' is not a category"):
        OnnxClassifier(**files)


def test_the_example_labels_file_is_valid() -> None:
    from services.prescreen.adapters.onnx_classifier import read_labels  # noqa: PLC0415
    from services.prescreen.config import DEPLOY  # noqa: PLC0415

    labels = read_labels(DEPLOY / "classifier-labels.example.yaml")
    assert Category.HATE_SPEECH in labels.categories
    assert len(labels.names) == len(labels.categories)


def test_the_service_runs_the_classifier_when_configured(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.prescreen.config import PrescreenSettings  # noqa: PLC0415
    from services.prescreen.core.banks import BankSet  # noqa: PLC0415
    from services.prescreen.service import build_engine  # noqa: PLC0415

    monkeypatch.setenv("CRIBLE_PRESCREEN_CLASSIFIER_MODEL", str(files["model"]))
    monkeypatch.setenv("CRIBLE_PRESCREEN_CLASSIFIER_TOKENIZER", str(files["tokenizer"]))
    monkeypatch.setenv("CRIBLE_PRESCREEN_CLASSIFIER_LABELS", str(files["labels"]))
    monkeypatch.setenv("CRIBLE_PRESCREEN_TEXT_IN_PROCESS", "false")
    engine = build_engine(PrescreenSettings(), BankSet())
    [screened] = engine.screen([case(("idiot, you are an idiot and an imbecile", "en-GB"))])
    result = {r.screener: r for r in screened.results}["classifier"]
    assert result.usability is Usability.USED
    assert result.scores[Category.HARASSMENT] > 0.9
    # shadow mode: the live policy does not route on it, the shadow policy does
    assert screened.shadow is not None
    assert screened.shadow.category is Category.HARASSMENT
