"""Text handling treats Korean, English and mixed text alike: NFC, language shares, sentences, passages, terms."""

from __future__ import annotations

import unicodedata

from matchmaker.text import content_hash, detect_language, language_mix, normalize, passages, split_sentences, terms


def test_decomposed_hangul_is_composed_and_hashes_like_the_composed_text():
    composed = "온디바이스 음성 인식"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert normalize(decomposed) == composed
    assert content_hash(decomposed) == content_hash(composed)


def test_language_is_detected_for_korean_english_and_mixed_text():
    assert detect_language("냉장고 안의 식재료를 카메라로 인식합니다") == "ko"
    assert detect_language("We detect food items inside the refrigerator") == "en"
    assert detect_language("NPU 기반 on-device 음성 인식 model") == "mixed"
    mix = language_mix("NPU 기반 음성 인식 모델")
    assert mix.ko == 0.8 and mix.en == 0.2


def test_sentences_split_on_korean_and_english_endings_but_not_decimals():
    text = "지연은 3.5ms 이하여야 합니다. 전력은 5mW 이내입니다!\n- Runs on the NPU. Works offline?"
    assert split_sentences(text) == [
        "지연은 3.5ms 이하여야 합니다.", "전력은 5mW 이내입니다!", "Runs on the NPU.", "Works offline?",
    ]


def test_passages_keep_every_sentence_in_order_and_respect_the_limit():
    sentences = [f"문장 {i}번은 온디바이스 AI 이야기입니다." for i in range(40)]
    text = " ".join(sentences)
    pieces = passages(text, 120)
    assert all(len(p) <= 120 for p in pieces)
    assert " ".join(pieces) == text
    assert pieces[-1].endswith("문장 39번은 온디바이스 AI 이야기입니다.")


def test_a_run_on_sentence_longer_than_a_passage_is_cut_at_spaces():
    text = "word " * 300
    pieces = passages(text, 100)
    assert len(pieces) > 1 and all(len(p) <= 100 for p in pieces)


def test_terms_strip_korean_particles_and_english_stopwords():
    assert terms("모델을 NPU에서 실행하는 업스케일링 엔진의 성능") == ["모델", "npu", "실행", "업스케일링", "엔진", "성능"]
    assert terms("The model runs on the NPU with low latency") == ["model", "runs", "npu", "low", "latency"]
