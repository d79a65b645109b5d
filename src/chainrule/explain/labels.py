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
        "old": "old value",
        "html_forward": "Forward",
        "html_backward": "Backward",
        "html_update": "Update",
        "html_keys": "or press ← and →",
        "html_shows_forward": "Each neuron shows its net and out, each edge its weight w, "
        "each output its target t and error term.",
        "html_shows_backward": "Each neuron shows ∂E/∂out and ∂E/∂net (δ), each edge its "
        "gradient ∂E/∂w.",
        "html_shows_update": "Each edge shows its value before → after the update; E, the "
        "error before → after.",
        "html_positive": "∂E/∂w > 0: w goes down",
        "html_negative": "∂E/∂w < 0: w goes up",
        # Formulas beside numbers (issue 13, part 1)
        "initial": "Initial weights and biases",
        "initial_intro": "The values the step starts from, layer by layer from the inputs; the "
        "forward pass below uses these.",
        "initial_equal_biases": "{names} start equal, at {value}: the worked example writes "
        "one bias per layer. Each is still a parameter of its own, with a gradient of its own, "
        "so each has a name of its own here.",
        "probability": "y (softmax)",
        "outputs_n": "n = {n}, the number of outputs.",
        "gradients_intro": "∂net/∂w is what the weight multiplies: an input, or the out of the "
        "neuron the weight comes from; for a bias it is 1.",
        "piecewise": "{a} if {cond}, else {b}",
        "ce_intro": "Softmax with cross-entropy, as in Koki Saito's Deep Learning from Scratch "
        "(chapter 5): the softmax turns the outputs into probabilities, "
        "y_k = e^out_k / Σ_j e^out_j, which are positive and sum to 1; each output's error "
        "term is −target_k·log y_k.",
        "ce_backward": "Softmax with cross-entropy, backwards",
        "ce_backward_intro": "Saito's SoftmaxWithLoss layer passes back y − target. Where that "
        "comes from, in four steps, each with this network's numbers (δ_jk is 1 when j = k, "
        "else 0):",
        "ce_step_dE_dy": "Step 1. The loss: E = −Σ_j target_j·log y_j, so "
        "∂E/∂y_j = −target_j / y_j.",
        "ce_step_jacobian": "Step 2. The softmax: every y_j depends on every out_k, with "
        "∂y_j/∂out_k = y_j·(δ_jk − y_k), that is y_j·(1 − y_j) for j = k and −y_j·y_k "
        "otherwise.",
        "ce_step_chain": "Step 3. The chain rule: out_k reaches E through every y_j, so "
        "∂E/∂out_k = Σ_j ∂E/∂y_j · ∂y_j/∂out_k.",
        "ce_step_collapse": "Step 4. The sum collapses: Σ_j (−target_j / y_j)·y_j·(δ_jk − y_k) "
        "= −target_k + y_k·Σ_j target_j, and the targets sum to 1, so "
        "∂E/∂out_k = y_k − target_k: the gradient SoftmaxWithLoss passes back, and the "
        "engine's.",
        "ce_step_collapse_soft": "Step 4. The sum collapses: Σ_j (−target_j / y_j)·y_j·"
        "(δ_jk − y_k) = y_k·Σ_j target_j − target_k. These targets do not sum to 1, so it is "
        "not y − target:",
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
        "old": "이전 값",
        "html_forward": "순전파",
        "html_backward": "역전파",
        "html_update": "갱신",
        "html_keys": "← → 키로도 넘길 수 있습니다",
        "html_shows_forward": "뉴런마다 net과 out을, 연결선마다 가중치 w를, 출력마다 목표값 t와 "
        "오차 항을 보여 줍니다.",
        "html_shows_backward": "뉴런마다 ∂E/∂out과 ∂E/∂net(δ)을, 연결선마다 기울기 ∂E/∂w를 "
        "보여 줍니다.",
        "html_shows_update": "연결선마다 갱신 전 → 후의 값을, E에는 갱신 전 → 후의 오차를 "
        "보여 줍니다.",
        "html_positive": "∂E/∂w > 0: w가 줄어듦",
        "html_negative": "∂E/∂w < 0: w가 커짐",
        # Formulas beside numbers (issue 13, part 1)
        "initial": "초기 가중치와 편향",
        "initial_intro": "학습을 시작하는 값입니다. 입력층 쪽부터 층 순서로 적었으며, 아래의 "
        "순전파는 이 값에서 출발합니다.",
        "initial_equal_biases": "{names}: 같은 값 {value}에서 시작합니다. 예제는 층마다 편향을 "
        "하나로 적지만, 뉴런마다 기울기가 따로 있는 별개의 매개변수이므로 여기서는 이름을 "
        "따로 붙였습니다.",
        "probability": "y (소프트맥스)",
        "outputs_n": "n = {n}: 출력 뉴런의 수.",
        "gradients_intro": "∂net/∂w는 가중치가 곱해지는 값, 곧 입력이나 가중치가 나오는 뉴런의 "
        "out입니다. 편향이면 1입니다.",
        "piecewise": "{cond}이면 {a}, 아니면 {b}",
        "ce_intro": "소프트맥스와 교차 엔트로피(사이토 고키, 『밑바닥부터 시작하는 딥러닝』 "
        "5장): 소프트맥스 함수가 출력을 확률로 바꿉니다. y_k = e^out_k / Σ_j e^out_j. "
        "확률은 모두 양수이고 합이 1입니다. 출력마다의 오차 항은 −target_k·log y_k입니다.",
        "ce_backward": "소프트맥스와 교차 엔트로피의 역전파",
        "ce_backward_intro": "사이토 고키의 SoftmaxWithLoss 계층이 역전파에서 내보내는 값은 "
        "y − target입니다. 그 값이 어디서 나오는지 네 단계로, 이 신경망의 숫자와 함께 "
        "보입니다(δ_jk는 j = k이면 1, 아니면 0).",
        "ce_step_dE_dy": "1단계. 손실 함수: E = −Σ_j target_j·log y_j이므로 "
        "∂E/∂y_j = −target_j / y_j입니다.",
        "ce_step_jacobian": "2단계. 소프트맥스: 각 y_j는 모든 out_k에 따라 달라지며, "
        "∂y_j/∂out_k = y_j·(δ_jk − y_k)입니다. 곧 j = k이면 y_j·(1 − y_j), 아니면 "
        "−y_j·y_k입니다.",
        "ce_step_chain": "3단계. 연쇄 법칙: out_k의 영향은 모든 y_j를 거쳐 E에 전해지므로 "
        "∂E/∂out_k = Σ_j ∂E/∂y_j · ∂y_j/∂out_k입니다.",
        "ce_step_collapse": "4단계. 합이 간단해집니다: Σ_j (−target_j / y_j)·y_j·(δ_jk − y_k) "
        "= −target_k + y_k·Σ_j target_j이고, 목표값의 합이 1이므로 "
        "∂E/∂out_k = y_k − target_k입니다. SoftmaxWithLoss가 내보내는 기울기이며, 엔진의 "
        "기울기와 같습니다.",
        "ce_step_collapse_soft": "4단계. 합이 간단해집니다: Σ_j (−target_j / y_j)·y_j·"
        "(δ_jk − y_k) = y_k·Σ_j target_j − target_k. 이 목표값들은 합이 1이 아니므로 "
        "y − target 그대로가 아닙니다:",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` ("en" or "ko"), with ``values`` filled in."""
    if lang not in LABELS:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return LABELS[lang][key].format(**values)
