"""The ranker finds the real fit across Korean and English, ranks look-alikes below it, keeps vetoes out, and reuses its cache."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.cache import CacheStats, MemoryCache
from matchmaker.documents import challenge_document, startup_document
from matchmaker.eligibility import EligibilityRules
from matchmaker.encoders import get_encoder
from matchmaker.explain import Explainer
from matchmaker.ranking import rank
from matchmaker.scoring import EngineConfig, Scorer, build_index

CHALLENGES = [
    {"id": "TV", "title": "On-device super-resolution for smart TVs",
     "description": "Upscale low-resolution broadcast video to 4K in real time on the TV's NPU. Each frame must be "
                    "processed within 16 ms, within 4 TOPS, without sending video to a server.",
     "tags": ["super-resolution", "NPU", "video"], "language": "en", "field": "smart-tv"},
    {"id": "DRONE", "title": "Power-line inspection drone",
     "description": "Detect corroded insulators and broken strands on transmission lines from drone imagery, on the "
                    "drone's edge computer, during flight, with GPS-tagged defect reports for the maintenance crew.",
     "tags": ["drone", "inspection", "edge AI"], "language": "en", "field": "drone"},
    {"id": "FRIDGE", "title": "냉장고 내부 식재료 인식",
     "description": "냉장고 안의 카메라로 식재료 종류와 남은 양을 인식하고 유통기한이 임박한 재료를 알려 주는 기능이 필요합니다. "
                    "가전 내부 프로세서에서 동작해야 하며 사진은 외부로 전송하지 않습니다.",
     "tags": ["냉장고", "식재료 인식", "온디바이스"], "language": "ko", "field": "appliance"},
]

STARTUPS = [
    {"id": "ko-upscaler", "name": "픽셀리프트", "language": "ko",
     "description": "저해상도 방송 영상을 TV 칩의 신경망 가속기에서 실시간으로 4K 화질로 키우는 초해상도 모델을 만듭니다. "
                    "프레임당 10ms 안에 처리하며 영상은 기기 밖으로 나가지 않습니다."},
    {"id": "en-fridge", "name": "ShelfSense", "language": "en",
     "description": "Our camera module sits inside refrigerators and recognises groceries, estimates how much is left "
                    "and warns before food expires. The model runs on the appliance's own chip; no photo leaves the home."},
    {"id": "en-upscaler", "name": "Sharpen Labs", "language": "en",
     "description": "A lightweight video upscaler that runs on set-top and television chips, restoring detail in "
                    "low-resolution streams frame by frame with a few milliseconds of delay."},
    {"id": "lookalike", "name": "TVChat AI", "language": "en",
     "description": "We build cloud AI chatbots for TV shopping channels. Our on-device ready AI platform answers "
                    "viewer questions about products during live broadcasts."},
    {"id": "nofit", "name": "펫커버", "language": "ko",
     "description": "반려동물 보험 상품을 한눈에 비교하고 가입까지 도와주는 플랫폼입니다. 보험료와 보장 범위를 쉽게 비교할 수 있습니다."},
]


@pytest.fixture(scope="module")
def docs():
    return [challenge_document(c) for c in CHALLENGES], [startup_document(s) for s in STARTUPS]


@pytest.fixture(scope="module")
def scores(encoders, docs):
    challenges, startups = docs
    config = EngineConfig()
    scorer = Scorer(config).fit(build_index(challenges, config), build_index(startups, config))
    return scorer, scorer.score_all()


def _col(docs, startup_id):
    return [d.id for d in docs[1]].index(startup_id)


def _row(docs, challenge_id):
    return [d.id for d in docs[0]].index(challenge_id)


def test_a_korean_profile_ranks_its_english_challenge_first(docs, scores):
    _, matrix = scores
    column = matrix[:, _col(docs, "ko-upscaler")]
    assert docs[0][int(np.argmax(column))].id == "TV"


def test_an_english_profile_ranks_its_korean_challenge_first(docs, scores):
    _, matrix = scores
    column = matrix[:, _col(docs, "en-fridge")]
    assert docs[0][int(np.argmax(column))].id == "FRIDGE"


def test_an_english_challenge_puts_the_korean_fit_above_look_alikes_and_misfits(docs, scores):
    _, matrix = scores
    row = matrix[_row(docs, "TV")]
    order = [docs[1][j].id for j in np.argsort(-row)]
    assert set(order[:2]) == {"ko-upscaler", "en-upscaler"}
    assert order.index("lookalike") > order.index("ko-upscaler")


def test_a_look_alike_with_the_same_buzzwords_ranks_below_the_real_fit(docs, scores):
    _, matrix = scores
    row = matrix[_row(docs, "TV")]
    assert row[_col(docs, "en-upscaler")] > row[_col(docs, "lookalike")]


def test_scores_are_calibrated_so_a_startup_that_fits_nothing_is_weak_everywhere(docs, scores):
    scorer, matrix = scores
    assert matrix.min() >= 0.0 and matrix.max() <= 1.0
    assert matrix[:, _col(docs, "nofit")].max() < scorer.config.bands.possible
    assert matrix[_row(docs, "TV"), _col(docs, "ko-upscaler")] >= scorer.config.bands.possible


def test_a_vetoed_pair_never_appears_and_says_why(encoders, docs):
    challenges, startups = docs
    config = EngineConfig(rules=EligibilityRules(vetoes=frozenset({("TV", "ko-upscaler")}), require_field_interest=False))

    result = rank(challenges, startups, per="challenge", config=config)

    tv = _row(docs, "TV")
    ranked = [int(result.pairs.startup[k]) for q, positions in result.groups() if q == tv for k in positions]
    assert _col(docs, "ko-upscaler") not in ranked
    removed = result.filtered(tv)
    assert [int(result.pairs.startup[k]) for k in removed] == [_col(docs, "ko-upscaler")]
    explanation = Explainer(result.scorer).explain(result.pairs, int(removed[0]))
    assert explanation.filtered == {"rule": "veto", "reason": "the pair TV–ko-upscaler is vetoed"}


def test_field_stage_and_age_rules_remove_pairs_with_their_reason(encoders, docs):
    challenges, _ = docs
    startups = [
        startup_document({**STARTUPS[0], "fields": ["drone"]}),
        startup_document({**STARTUPS[2], "stage": "growth"}),
        startup_document({**STARTUPS[1], "founded": 2005}),
    ]
    rules = EligibilityRules(stages=frozenset({"seed", "series_a"}), founded_within_years=7, reference_year=2025)
    result = rank(challenges, startups, per="startup", config=EngineConfig(rules=rules))
    explainer = Explainer(result.scorer)

    reasons = {
        (challenges[int(result.pairs.challenge[k])].id, startups[int(result.pairs.startup[k])].id):
            explainer.explain(result.pairs, int(k)).filtered
        for k in np.flatnonzero(result.pairs.rule)
    }
    assert reasons[("TV", "ko-upscaler")]["rule"] == "field"
    assert ("DRONE", "ko-upscaler") not in reasons
    assert reasons[("TV", "en-upscaler")] == {"rule": "stage", "reason": "stage 'growth' is not among seed, series_a"}
    assert reasons[("FRIDGE", "en-fridge")]["reason"] == "founded in 2005, more than 7 years before 2025"


def test_explanations_name_each_signal_the_best_sentence_pair_and_shared_terms(encoders, docs):
    challenges, startups = docs
    result = rank(challenges, startups, per="challenge")
    explainer = Explainer(result.scorer)
    tv = _row(docs, "TV")
    k = next(int(k) for q, pos in result.groups() if q == tv for k in pos
             if int(result.pairs.startup[k]) == _col(docs, "en-upscaler"))

    explanation = explainer.explain(result.pairs, k).as_dict()

    assert set(explanation["components"]) == {"semantic", "coverage", "english", "lexical"}
    assert explanation["components"]["english"] is not None  # both sides are English
    assert explanation["best_pair"]["challenge"] in CHALLENGES[0]["title"] + " " + CHALLENGES[0]["description"]
    assert explanation["best_pair"]["startup"] in STARTUPS[2]["description"]
    assert "low-resolution" in explanation["shared_terms"]

    k_cross = next(int(k) for q, pos in result.groups() if q == tv for k in pos
                   if int(result.pairs.startup[k]) == _col(docs, "ko-upscaler"))
    cross = explainer.explain(result.pairs, k_cross).as_dict()
    assert cross["components"]["english"] is None and cross["components"]["lexical"] is None
    assert any("\uac00" <= ch <= "\ud7a3" for ch in cross["best_pair"]["startup"])  # the Korean side stays Korean


def test_unchanged_text_is_served_from_the_cache_and_only_changed_text_is_embedded(encoders, docs):
    _, startups = docs
    cache = MemoryCache()
    config = EngineConfig()
    first = CacheStats()
    build_index(startups, config, cache=cache, stats=first)
    assert first.hits == 0 and first.misses > 0

    again = CacheStats()
    index = build_index(startups, config, cache=cache, stats=again)
    assert again.misses == 0 and again.hits == first.misses

    edited = [startup_document({**STARTUPS[0], "description": STARTUPS[0]["description"] + " 새 기능을 추가했습니다."})]
    edited += startups[1:]
    after_edit = CacheStats()
    new_index = build_index(edited, config, cache=cache, stats=after_edit)
    assert after_edit.misses == 1  # the edited Korean passage, by the multilingual model only
    assert np.allclose(new_index.use_doc[1:], index.use_doc[1:])

    english = [startups[0], startup_document({**STARTUPS[1], "description": STARTUPS[1]["description"] + " Now smaller."})]
    after_english_edit = CacheStats()
    build_index(english + startups[2:], config, cache=cache, stats=after_english_edit)
    assert after_english_edit.misses == 2  # an English passage: both models read it


def test_the_english_model_reads_only_the_english_passages_of_a_document(encoders):
    korean = startup_document(STARTUPS[0])
    english = startup_document(STARTUPS[2])
    index = build_index([korean, english], EngineConfig())
    assert not index.minilm_doc[0].any()  # nothing English to read: no vector, so no weight
    assert np.isclose(np.linalg.norm(index.minilm_doc[1]), 1.0)


def test_each_model_loads_once_per_process(encoders):
    assert get_encoder("use-multilingual") is encoders["use-multilingual"]
    assert get_encoder("minilm") is encoders["minilm"]


def test_an_unknown_encoder_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown encoder 'bert'; known: minilm, use-multilingual"):
        get_encoder("bert")


def test_stage_one_keeps_every_real_fit_and_returns_exact_scores(encoders, docs, scores):
    scorer, matrix = scores
    pairs = scorer.candidates(2, per="challenge")

    for challenge_id, fit in (("TV", "ko-upscaler"), ("TV", "en-upscaler"), ("FRIDGE", "en-fridge")):
        kept = pairs.startup[pairs.challenge == _row(docs, challenge_id)]
        assert _col(docs, fit) in kept
    exact = matrix[pairs.challenge, pairs.startup]
    assert np.allclose(pairs.score, exact, atol=1e-6)

    everything = scorer.candidates(len(docs[1]), per="startup")
    assert len(everything.score) == matrix.size
    assert np.allclose(np.sort(everything.score), np.sort(matrix.ravel()), atol=1e-6)


def test_coverage_is_the_same_whichever_side_it_is_computed_from():
    from scipy import sparse

    from matchmaker.documents import Document
    from matchmaker.encoders import unit_rows
    from matchmaker.scoring import SideIndex

    rng = np.random.default_rng(5)

    def side(kind, n):
        counts = rng.integers(1, 4, size=n)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        passages = unit_rows(rng.standard_normal((offsets[-1], 8)))
        docs = [Document(id=str(i), kind=kind, title="t", text="text", language="en") for i in range(n)]
        return SideIndex(docs, np.tile([0.0, 1.0], (n, 1)).astype(np.float32),
                         unit_rows(np.add.reduceat(passages, offsets[:-1], axis=0)), passages, offsets, None,
                         sparse.csr_matrix((n, 16), dtype=np.float32))

    scorer = Scorer(EngineConfig()).fit(side("challenge", 7), side("startup", 5))
    # One challenge against every startup is grouped by challenge; one startup against every
    # challenge is grouped by startup. Both must fill the same 7 x 5 matrix.
    by_challenge = np.stack([scorer._coverage(np.full(5, i), np.arange(5), np.zeros(5, np.float32)) for i in range(7)])
    by_startup = np.stack([scorer._coverage(np.arange(7), np.full(7, j), np.zeros(7, np.float32)) for j in range(5)]).T
    assert np.allclose(by_challenge, by_startup, atol=1e-6)
    assert by_challenge.std() > 0.05  # a real spread of values, not a constant
