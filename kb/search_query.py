"""Search queries as people type them: a pasted error message or a few words, made into search terms.

normalize(text) reads the text the way a person means it, never as query syntax:

- a pasted traceback keeps only its message: the "Traceback (most recent call last):" header, the
  `File "...", line N, in f` lines with the source line under each, and Keras's "Arguments received
  by ..." tail are dropped, and the message after the last `SomethingError:` is what counts;
- the words are lower-cased runs of letters, digits and underscores (punctuation, quotes, paths
  and brackets go); Keras's numbered layer names lose the number (`dense_1` is `dense`); sizes such
  as `64x9216` go, and in a pasted message every number goes too (a question's 9216 stays);
- English filler and the words every traceback repeats are dropped (unless nothing else is left);
- each word is a group of spellings that mean the same: a layer name in either framework (`Dense`
  and `Linear`, `BatchNormalization` and `BatchNorm2d`, through the engine's registry) and the
  parameter names that correspond (`units`, `out_features`, `hidden_size`).

The search (kb.search) asks for every group first; a pasted message of MIN_TERMS_FOR_ANY groups or
more that matches nothing that way is searched again for any of its groups, ranked by how well each
matches (a pasted message rarely has every word of the entry's wording: versions differ, names
differ). A few words typed by a person keep "every word".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import engine
from engine import ShapeError
from engine.spec import FRAMEWORKS

MAX_TEXT = 4000  # characters of a query that are read at all
MAX_TERMS = 16  # groups searched
MAX_ALTERNATIVES = 4  # spellings per group
MAX_PAIRS = 24  # neighbouring words of a pasted message that count for ranking
MIN_TERMS_FOR_ANY = 4  # from this many groups on, "every word" falls back to "any word, best first"

_TRACEBACK_HEADER = re.compile(r"Traceback \(most recent call last\):")
_FILE_LINE = re.compile(r'File "[^"\n]*", line \d+(?:, in [\w<>.]+)?')
_CARETS = re.compile(r"^\s*[\^~]+\s*$", re.M)
_EXCEPTION = re.compile(r"\b(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Warning)\b:?")
_KERAS_ARGUMENTS = re.compile(r"Arguments received by .*", re.S)
# A file path (three or more parts joined by / or \\, with an optional :line): never part of what is asked.
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.-]+){2,}(?::\d+)*|[\w.-]+(?:[\\/][\w.-]+){2,}(?::\d+)*")
_WORD = re.compile(r"[a-z0-9_]+")
_NUMBERED_NAME = re.compile(r"([a-z][a-z0-9_]*?)_\d+")  # dense_1, conv2d_3, batch_normalization_12
_SIZES = re.compile(r"\d+(?:x\d+)+")  # 64x9216, 3x3
_NUMBER = re.compile(r"\d+")
_PRINTED_SHAPE = re.compile(r"[\[(]\s*(?:None|\?|-?\d+)\s*[,x]")
PASTED_MIN_WORDS = 8  # a message without its exception name is told from a question by its length and shapes

# English filler, question words, and what every traceback and message repeats around the point.
STOP_WORDS = frozenset(
    """a an the and or not no of to in on at by for from with without as into onto than then so but if
    is are was were be been being am do does did doing done have has had having can could should would will
    shall may might must i me my we our you your it its this that these those there here he she they them
    what why how when where which who whom whose please help anyone someone thanks thank hi hello vs versus
    get gets got getting give gives gave giving make makes made use uses used using want wants wanted
    need needs trying try tried work works working happen happens happened mean means meaning
    know understand problem question issue wrong right correct way just only also still very much
    more most some any all each every one other different like about error errors exception
    traceback recent call file line self return def forward args kwargs none true false py lib
    site packages module modules encountered calling received""".split()
)

# Parameter and word spellings that mean the same thing across the frameworks (both ways).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("units", "out_features", "hidden_size"),
    ("filters", "out_channels"),
    ("input_dim", "num_embeddings"),
    ("output_dim", "embedding_dim"),
    ("channels_first", "nchw", "chw"),
    ("channels_last", "nhwc", "hwc"),
    ("reshape", "view"),
    ("concatenate", "cat", "concat"),
    ("pytorch", "torch"),
    ("keras", "tensorflow", "tf"),
    ("dimension", "dim", "axis"),
)
_SYNONYM_OF = {word: group for group in SYNONYMS for word in group}
# Short words people type for a family of layers (one way: "convolution" does not mean "conv").
ABBREVIATIONS = {
    "conv": ("conv", "convolution", "conv2d", "conv1d"),
    "maxpool": ("maxpool", "maxpooling2d", "maxpool2d", "pooling"),
}
_SYNONYM_OF.update(ABBREVIATIONS)

# Words every shape message repeats: in a pasted message they say nothing about which one it is.
MESSAGE_WORDS = frozenset(
    """valueerror runtimeerror indexerror invalidargumenterror typeerror userwarning keras_tensor kerastensor
    dtype float32 int64 sparse ragged""".split()
)
# Words that name a framework: a query naming one does not need the other framework's layer names.
FRAMEWORK_WORDS = {
    "keras": "keras",
    "tensorflow": "keras",
    "tf": "keras",
    "pytorch": "pytorch",
    "torch": "pytorch",
    "nn": "pytorch",
}


@dataclass(frozen=True)
class SearchQuery:
    """What the user's text means: groups of equivalent spellings, and whether it was a pasted message."""

    groups: tuple[tuple[str, ...], ...]
    pasted: bool = False
    truncated: bool = False  # more groups than MAX_TERMS were found
    # A pasted message's neighbouring words as it reads, numbers included ("got 1", "1 channels"): they
    # only rank, never filter, so the entry quoting the very message comes first.
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def words(self) -> list[str]:
        """The first spelling of every group (what the user typed, normalised)."""
        return [g[0] for g in self.groups]

    @property
    def any_fallback(self) -> bool:
        """Whether a search that finds nothing with every group may look for any of them (pasted messages)."""
        return self.pasted and len(self.groups) >= MIN_TERMS_FOR_ANY

    def __bool__(self) -> bool:
        return bool(self.groups)


def looks_pasted(text: str) -> bool:
    """A traceback or an error message rather than a few words: an exception's name, or a long text
    quoting shapes the way messages print them ("[16, 3, 5, 5]", "(None, 28", "(64x9216")."""
    if _TRACEBACK_HEADER.search(text) or _FILE_LINE.search(text) or _EXCEPTION.search(text):
        return True
    return len(_WORD.findall(text.lower())) >= PASTED_MIN_WORDS and bool(_PRINTED_SHAPE.search(text))


def message_text(text: str) -> str:
    """The message of a pasted traceback: no header, no File lines (nor the source line under each),
    no caret lines, nothing before the last exception name, no Keras "Arguments received" tail."""
    lines = text.splitlines()
    kept = []
    skip_source = False
    for line in lines:
        if _FILE_LINE.fullmatch(line.strip()):
            skip_source = True  # the next indented line is the source line that raised
            continue
        if skip_source and line.startswith((" ", "\t")) and not _EXCEPTION.search(line):
            skip_source = False
            continue
        skip_source = False
        kept.append(line)
    text = "\n".join(kept)
    text = _CARETS.sub(" ", _FILE_LINE.sub(" ", _TRACEBACK_HEADER.sub(" ", text)))
    names = list(_EXCEPTION.finditer(text))
    if names:
        text = text[names[-1].end() :]
    return _KERAS_ARGUMENTS.sub(" ", text)


@lru_cache(maxsize=4096)
def spellings(word: str, framework: str | None = None) -> tuple[str, ...]:
    """The word and its other spellings: a synonym, or the same layer in both frameworks (only in
    `framework` when the query names one)."""
    found = [word]
    for other in _SYNONYM_OF.get(word, ()):
        if other not in found:
            found.append(other)
    if word not in _SYNONYM_OF:
        for fw in FRAMEWORKS:
            try:
                spec = engine.get_layer(fw, word)
            except ShapeError:
                continue
            names = [(spec.framework, spec.name)]
            if spec.equivalent:
                names.append(("pytorch" if spec.framework == "keras" else "keras", spec.equivalent))
            for owner, name in names:
                if name.lower() not in found and (framework is None or owner == framework):
                    found.append(name.lower())
    return tuple(found[:MAX_ALTERNATIVES])


def _words(text: str, pasted: bool) -> list[str]:
    words = []
    for raw in _WORD.findall(_PATH.sub(" ", text).lower()):
        word = raw.strip("_")
        numbered = _NUMBERED_NAME.fullmatch(word)
        if numbered:
            word = numbered.group(1)
        if not word or _SIZES.fullmatch(word) or (pasted and (_NUMBER.fullmatch(word) or len(word) == 1)):
            continue
        words.append(word)
    return words


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """Neighbouring words of a message as it reads (paths gone, numbers kept), not both filler."""
    tokens = [t for t in _WORD.findall(_PATH.sub(" ", text).lower()) if t.strip("_")]
    pairs = []
    for a, b in zip(tokens, tokens[1:], strict=False):
        if (a in STOP_WORDS and b in STOP_WORDS) or (a, b) in pairs:
            continue
        pairs.append((a, b))
    return tuple(pairs[:MAX_PAIRS])


def normalize(text: str | None) -> SearchQuery:
    """The search terms of whatever a person typed or pasted (bounded: MAX_TEXT characters, MAX_TERMS groups)."""
    text = (text or "")[:MAX_TEXT]
    pasted = looks_pasted(text)
    if pasted:
        text = message_text(text)
    words = list(dict.fromkeys(_words(text, pasted)))
    noise = STOP_WORDS | MESSAGE_WORDS if pasted else STOP_WORDS
    meaningful = [w for w in words if w not in noise]
    chosen = meaningful or [w for w in words if w not in STOP_WORDS] or words  # "the" alone is still a search
    named = {FRAMEWORK_WORDS[w] for w in words if w in FRAMEWORK_WORDS}
    framework = named.pop() if len(named) == 1 else None
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for word in chosen:
        if word in seen:
            continue
        group = (word,) if pasted else spellings(word, framework)  # a pasted message is matched word for word
        seen.update(group)
        groups.append(group)
    return SearchQuery(
        groups=tuple(groups[:MAX_TERMS]),
        pasted=pasted,
        truncated=len(groups) > MAX_TERMS,
        pairs=_pairs(text) if pasted and groups else (),
    )
