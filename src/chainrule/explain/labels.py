"""Every word explain prints, in English and Korean; the numbers never change with the language.

``say(lang, key, **values)`` returns the sentence for ``key`` with ``values`` filled in.
"""

from __future__ import annotations

LANGUAGES = ("en", "ko")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Backpropagation, step by step",
        "network": "Network",
        "inputs": "Inputs",
        "forward": "Forward pass",
        "forward_intro": "Each neuron sums its weighted inputs and its bias (net), then applies "
        "its activation (out).",
        "errors": "Error",
        "errors_intro": "Each output contributes one term; the total error E is their sum.",
        "backward": "Backward pass",
        "backward_intro": "The chain rule splits ∂E/∂w into three local derivatives: "
        "∂E/∂out · ∂out/∂net · ∂net/∂w. The last column is the engine's own gradient, "
        "which equals the product.",
        "deltas": "The chain rule at each neuron",
        "deltas_intro": "∂E/∂net = ∂E/∂out · ∂out/∂net. A hidden neuron feeds several "
        "neurons, so its ∂E/∂out is the sum of ∂E/∂net · w over all of them.",
        "update": "Update",
        "update_intro": "Each parameter moves against its gradient: new = old − η · ∂E/∂w, "
        "with learning rate η = {lr}.",
        "update_frozen": "Biases are frozen, as in the worked example: they keep their values.",
        "after": "After the update",
        "after_sentence": "The total error went from {before} to {after}.",
        "steps": "Training steps",
        "steps_intro": "The error after each of {steps} updates on this one sample.",
        "step": "step",
        "neuron": "neuron",
        "layer": "layer",
        "activation": "activation",
        "net": "net",
        "out": "out",
        "target": "target",
        "term": "error term",
        "total": "total error E",
        "parameter": "parameter",
        "connects": "connects",
        "value": "value",
        "dE_dout": "∂E/∂out",
        "dout_dnet": "∂out/∂net",
        "dnet_dparam": "∂net/∂w",
        "dE_dnet": "∂E/∂net",
        "product": "product",
        "grad": ".grad",
        "updated": "new value",
        "frozen": "frozen",
        "sum_over": "sum over the neurons it feeds",
        "error": "error",
        "loss_half_sse": "E = Σ ½ (t − o)²",
        "loss_mse": "E = mean over outputs of (o − t)²",
        "loss_bce": "E = mean over outputs of −[t log o + (1 − t) log(1 − o)]",
        "loss_ce": "E = −Σ t log softmax(o)",
        "input": "input",
        "hidden": "hidden",
        "output": "output",
        "split_title": "Sending output errors back to the hidden neurons (seed 002)",
        "split_intro": "By proportion: each output error is shared out over its incoming "
        "weights in proportion to them. By Wᵀ·e: the same without the normalising sums.",
        "split_difference": "difference",
        "graph_title": "Forward values and backward gradients of {result}",
        "xor_title": "Why a perceptron cannot learn XOR, and a 2-2-1 network can (seed 003)",
        "xor_perceptron": "A single-layer perceptron, o = σ(a·x1 + b·x2 + c), after {steps} "
        "steps of SGD on the binary cross-entropy:",
        "xor_perceptron_why": "Its decision boundary is one straight line, and no line puts "
        "(0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other. The best it can do "
        "is 0.5 everywhere: cost ln 2 ≈ {cost}.",
        "xor_network": "A 2-2-1 network after {steps} steps: each hidden unit draws its own line "
        "in the (x1, x2) plane.",
        "xor_network_why": "In the hidden units' coordinates (h1, h2) the four points can be "
        "separated by one line, which the output unit draws; cost {cost}.",
        "neurons": "neurons",
        "layer_sizes": "Layer sizes: {sizes}.",
        "loss": "Loss: {formula}",
        "learning_rate": "Learning rate: η = {lr}",
        "biases_frozen": "Biases: frozen, as in the worked example.",
        "biases_trained": "Biases: updated with the weights.",
        "hidden_n": "hidden {n}",
        "feeds": "feeds",
        "weight": "weight",
        "feed_product": "∂E/∂net · w",
        "gradients": "The gradient of each parameter",
        "gradient_example": "For {name}: ∂E/∂{name} = ∂E/∂out_{target} · "
        "∂out_{target}/∂net_{target} · ∂net_{target}/∂{name} = "
        "{dE_dout} · {dout_dnet} · {dnet_dparam} = {product}",
        "old": "old value",
        "html_forward": "Forward",
        "html_backward": "Backward",
        "html_update": "Update",
        "html_keys": "or press ← and →",
        "html_shows_forward": "Each neuron shows its net and out, each edge its weight w, "
        "each output its target t and error term.",
        "html_shows_backward": "Each neuron shows ∂E/∂out and ∂E/∂net (δ), each edge its "
        "gradient ∂E/∂w.",
        "html_shows_update": "Each edge shows its value after the update (its tooltip, before → "
        "after); E, the error before → after.",
        "html_positive": "∂E/∂w > 0: w goes down",
        "html_negative": "∂E/∂w < 0: w goes up",
        # The page to play with (issue 13, part 4)
        "html_play": "Try it: change any number and watch every other one follow",
        "html_targets": "Targets",
        "html_lr": "Learning rate η",
        "html_parameters": "Weights and biases",
        "html_train_steps": "Steps to train",
        "html_train": "Train",
        "html_reset": "Start again",
        "html_chart": "The error E at each training step",
        "html_chart_point": "step {step}: E = {error}",
        "html_chart_empty": "Train to draw the error curve.",
        "html_factors": "The chain rule, one factor at a time",
        "html_factor_previous": "◀ Previous",
        "html_factor_next": "Next ▶",
        "html_factor_keys": "or Shift+← and Shift+→",
        "html_factor_start": "Press Next to follow the backward pass factor by factor.",
        "html_factor_output": "How E changes with the output of {neuron}",
        "html_factor_local": "The slope of {activation} at net_{neuron}",
        "html_factor_delta": "The chain rule at {neuron}: δ = ∂E/∂out · ∂out/∂net",
        "html_factor_feed": "One path back: {neuron} → {weight} → {to}",
        "html_factor_sum": "∂E/∂out_{neuron}: every path from {neuron} to E, added up",
        "html_factor_param": "The gradient of {name}",
        "html_error": "This page cannot recompute its numbers: {message}",
        "html_bce_range": "Binary cross-entropy needs outputs and targets between 0 and 1; "
        "the numbers shown are the last ones that had them.",
        "html_not_number": "Type a number.",
    },
    "ko": {
        "title": "오차역전파, 한 단계씩",
        "network": "신경망",
        "inputs": "입력",
        "forward": "순전파",
        "forward_intro": "각 뉴런은 가중치를 곱한 입력과 편향을 더하고(net), 활성화 함수를 "
        "적용합니다(out).",
        "errors": "오차",
        "errors_intro": "출력마다 오차 항이 하나씩 있고, 전체 오차 E는 그 합입니다.",
        "backward": "역전파",
        "backward_intro": "연쇄 법칙으로 ∂E/∂w를 세 개의 국소 미분으로 나눕니다: "
        "∂E/∂out · ∂out/∂net · ∂net/∂w. 마지막 열은 엔진이 계산한 기울기이며, 곱과 같습니다.",
        "deltas": "뉴런마다의 연쇄 법칙",
        "deltas_intro": "∂E/∂net = ∂E/∂out · ∂out/∂net. 은닉 뉴런은 여러 뉴런에 연결되므로, "
        "그 ∂E/∂out은 연결된 모든 뉴런의 ∂E/∂net · w를 더한 값입니다.",
        "update": "가중치 갱신",
        "update_intro": "각 매개변수는 기울기의 반대 방향으로 움직입니다: "
        "새 값 = 이전 값 − η · ∂E/∂w, 학습률 η = {lr}.",
        "update_frozen": "예제와 같이 편향은 고정되어 값이 바뀌지 않습니다.",
        "after": "갱신 후",
        "after_sentence": "전체 오차가 {before}에서 {after}(으)로 바뀌었습니다.",
        "steps": "학습 단계",
        "steps_intro": "이 샘플 하나로 {steps}번 갱신하는 동안의 오차입니다.",
        "step": "단계",
        "neuron": "뉴런",
        "layer": "층",
        "activation": "활성화 함수",
        "net": "net (순입력)",
        "out": "out (출력)",
        "target": "목표값",
        "term": "오차 항",
        "total": "전체 오차 E",
        "parameter": "매개변수",
        "connects": "연결",
        "value": "값",
        "dE_dout": "∂E/∂out",
        "dout_dnet": "∂out/∂net",
        "dnet_dparam": "∂net/∂w",
        "dE_dnet": "∂E/∂net",
        "product": "곱",
        "grad": ".grad (엔진)",
        "updated": "새 값",
        "frozen": "고정",
        "sum_over": "연결된 뉴런들에 대한 합",
        "error": "오차",
        "loss_half_sse": "E = Σ ½ (t − o)²",
        "loss_mse": "E = 출력들에 대한 (o − t)²의 평균",
        "loss_bce": "E = 출력들에 대한 −[t log o + (1 − t) log(1 − o)]의 평균",
        "loss_ce": "E = −Σ t log softmax(o)",
        "input": "입력층",
        "hidden": "은닉층",
        "output": "출력층",
        "split_title": "출력 오차를 은닉 뉴런으로 나누어 보내기 (seed 002)",
        "split_intro": "비율로 나누기: 각 출력 오차를 들어오는 가중치의 크기에 비례해 나눕니다. "
        "Wᵀ·e: 정규화하는 합 없이 같은 계산을 행렬 곱으로 합니다.",
        "split_difference": "차이",
        "graph_title": "{result}의 순전파 값과 역전파 기울기",
        "xor_title": "퍼셉트론은 XOR을 배우지 못하고 2-2-1 신경망은 배우는 이유 (seed 003)",
        "xor_perceptron": "단층 퍼셉트론 o = σ(a·x1 + b·x2 + c)를 이진 교차 엔트로피와 SGD로 "
        "{steps}번 학습한 결과:",
        "xor_perceptron_why": "결정 경계가 직선 하나뿐인데, (0, 1)과 (1, 0)을 한쪽에, (0, 0)과 "
        "(1, 1)을 다른 쪽에 두는 직선은 없습니다. 그래서 모든 점에서 0.5를 출력하는 것이 "
        "최선입니다: 비용 ln 2 ≈ {cost}.",
        "xor_network": "2-2-1 신경망을 {steps}번 학습한 결과: 은닉 유닛마다 (x1, x2) 평면에 "
        "자기 직선을 긋습니다.",
        "xor_network_why": "은닉 유닛의 좌표 (h1, h2)에서는 네 점을 직선 하나로 나눌 수 있고, "
        "출력 유닛이 그 직선을 긋습니다; 비용 {cost}.",
        "neurons": "뉴런 수",
        "layer_sizes": "층의 크기: {sizes}.",
        "loss": "손실 함수: {formula}",
        "learning_rate": "학습률: η = {lr}",
        "biases_frozen": "편향: 예제와 같이 고정.",
        "biases_trained": "편향: 가중치와 함께 갱신.",
        "hidden_n": "은닉층 {n}",
        "feeds": "연결된 뉴런",
        "weight": "가중치",
        "feed_product": "∂E/∂net · w",
        "gradients": "매개변수마다의 기울기",
        "gradient_example": "{name}의 경우: ∂E/∂{name} = ∂E/∂out_{target} · "
        "∂out_{target}/∂net_{target} · ∂net_{target}/∂{name} = "
        "{dE_dout} · {dout_dnet} · {dnet_dparam} = {product}",
        "old": "이전 값",
        "html_forward": "순전파",
        "html_backward": "역전파",
        "html_update": "갱신",
        "html_keys": "← → 키로도 넘길 수 있습니다",
        "html_shows_forward": "뉴런마다 net과 out을, 연결선마다 가중치 w를, 출력마다 목표값 t와 "
        "오차 항을 보여 줍니다.",
        "html_shows_backward": "뉴런마다 ∂E/∂out과 ∂E/∂net(δ)을, 연결선마다 기울기 ∂E/∂w를 "
        "보여 줍니다.",
        "html_shows_update": "연결선마다 갱신 후의 값을(툴팁에는 갱신 전 → 후의 값을), E에는 "
        "갱신 전 → 후의 오차를 보여 줍니다.",
        "html_positive": "∂E/∂w > 0: w가 줄어듦",
        "html_negative": "∂E/∂w < 0: w가 커짐",
        # The page to play with (issue 13, part 4)
        "html_play": "직접 해 보기: 아무 숫자나 바꾸면 나머지 숫자가 모두 따라 바뀝니다",
        "html_targets": "목표값",
        "html_lr": "학습률 η",
        "html_parameters": "가중치와 편향",
        "html_train_steps": "학습할 단계 수",
        "html_train": "학습",
        "html_reset": "처음 값으로",
        "html_chart": "학습 단계마다의 오차 E",
        "html_chart_point": "단계 {step}: E = {error}",
        "html_chart_empty": "학습을 누르면 오차 곡선이 그려집니다.",
        "html_factors": "연쇄 법칙을 한 인수씩",
        "html_factor_previous": "◀ 이전",
        "html_factor_next": "다음 ▶",
        "html_factor_keys": "Shift+←, Shift+→ 키로도 넘길 수 있습니다",
        "html_factor_start": "다음을 누르면 역전파를 연쇄 법칙의 인수 하나씩 따라갑니다.",
        "html_factor_output": "{neuron}의 출력에 대한 E의 편미분",
        "html_factor_local": "net_{neuron}에서 {activation}의 기울기",
        "html_factor_delta": "{neuron}에서의 연쇄 법칙: δ = ∂E/∂out · ∂out/∂net",
        "html_factor_feed": "거꾸로 가는 경로 하나: {neuron} → {weight} → {to}",
        "html_factor_sum": "∂E/∂out_{neuron}: {neuron}에서 E까지 가는 모든 경로의 합",
        "html_factor_param": "{name}의 기울기",
        "html_error": "이 페이지는 숫자를 다시 계산할 수 없습니다: {message}",
        "html_bce_range": "이진 교차 엔트로피에는 0과 1 사이의 출력과 목표값이 필요합니다. "
        "보이는 숫자는 그 조건을 마지막으로 만족한 값입니다.",
        "html_not_number": "숫자를 입력하세요.",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` ("en" or "ko"), with ``values`` filled in."""
    if lang not in LABELS:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return LABELS[lang][key].format(**values)
