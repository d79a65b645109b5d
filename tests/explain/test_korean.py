"""The Korean text against docs/KOREAN.md: every English label has its Korean, the material's
terms (one word per concept, 편미분 where a partial derivative is named), particles that
never depend on a number, and no English left but symbols, code and names."""

import re

import pytest

from chainrule.app.main import main
from chainrule.explain.labels import LABELS, WORKS, credit
from helpers import CODE_WORDS, english_words

KOREAN = LABELS["ko"]

HEDGED = re.compile(r"\((?:으|이|을|를|은|는|와|과)\)|[을를은는이가와과]\([을를은는이가와과]\)")
"""A particle written both ways: 로(으로) as "(으)로", 가/이 as "(이)가", "을(를)"..."""

AFTER_A_VALUE = re.compile(r"\}(?:[은는이가을를와과]|으?로)")
"""A particle right after a placeholder: its form would depend on the value put there."""

NOT_THE_MATERIALS = {
    "유닛": "뉴런",
    "노드": "뉴런",
    "갱신": "업데이트",
    "목표값": "정답",
    "바이어스": "편향",
    "체인 룰": "연쇄 법칙",
    "에러": "오차",
    "그래디언트": "기울기",
    "코스트": "비용",
}
"""Words for a concept the material names otherwise (docs/KOREAN.md's glossary)."""

GRAPH_NODES = "graph_"
"""The computational graph's labels: there 노드 is a node of the graph (an input or an op), not
a neuron, and 노드 is Saito's own word for it ("입력된 값을 그대로 다음 노드에 보내게 됨")."""


def test_every_key_has_both_languages():
    assert set(LABELS["en"]) == set(KOREAN)
    assert set(WORKS["en"]) == set(WORKS["ko"])


def test_no_particle_is_written_both_ways_or_follows_a_value():
    hedged = {key: text for key, text in KOREAN.items() if HEDGED.search(text)}
    after_a_value = {key: text for key, text in KOREAN.items() if AFTER_A_VALUE.search(text)}
    assert hedged == {} and after_a_value == {}


def test_one_word_per_concept_the_materials():
    others = {
        key: f"{word} → {materials}"
        for key, text in KOREAN.items()
        for word, materials in NOT_THE_MATERIALS.items()
        if word in text and not (word == "노드" and key.startswith(GRAPH_NODES))
    }
    assert others == {}


def test_each_part_that_introduces_partial_derivatives_says_pyeonmibun():
    """The places where ∂ is first explained (the backward pass, each neuron, a gradient, the
    update, the page's backward step, the matrix form) name it 편미분, as the material does;
    later sentences may use the symbol alone."""
    introductions = (
        "backward_intro",
        "deltas_intro",
        "update_intro",
        "html_shows_backward",
        "matrix_backward",
    )
    for key in introductions:
        assert "편미분" in KOREAN[key], key
    # ∂E/∂w read out as the material reads it.
    assert "E의 w에 대한 편미분 ∂E/∂w" in KOREAN["backward_intro"]


def test_no_english_is_left_but_symbols_code_and_names():
    left = {key: english_words(text) for key, text in KOREAN.items() if english_words(text)}
    assert left == {}


def test_the_works_by_their_korean_titles():
    assert english_words("; ".join(WORKS["ko"].values())) == []
    assert credit("ko", "rashid", "saito") == (
        "출처: 타리크 라시드, 『신경망 첫걸음』; 사이토 고키, 『밑바닥부터 시작하는 딥러닝』"
    )
    assert credit("en", "saito") == "Source: Koki Saito, Deep Learning from Scratch"
    with pytest.raises(ValueError, match="language must be one of en, ko"):
        credit("fr", "saito")


@pytest.mark.parametrize(
    "argv",
    [
        ["explain"],
        ["explain", "--matrix", "--steps", "3"],
        ["explain", "--loss", "ce", "--layers", "3,4,3"],
        ["explain", "split"],
        ["explain", "xor"],
    ],
)
def test_the_korean_output_leaves_no_english_but_symbols_code_and_names(argv, capsys):
    """What a learner reads, not only the labels: the words the lessons put into the labels
    (a neuron's or a line's name) are symbols too. Options' values (sigmoid, identity) stay as
    the user types them."""
    assert main([*argv, "--lang", "ko"]) == 0
    assert english_words(capsys.readouterr().out, CODE_WORDS | {"sigmoid", "identity"}) == []
