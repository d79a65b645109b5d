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
        "split_title": "Sending output errors back to the hidden neurons",
        "split_difference": "difference",
        "graph_title": "The computational graph of {result}: values forward, gradients backward",
        "xor_title": "Why a perceptron cannot learn XOR, and a 2-2-1 network can",
        "xor_perceptron": "A single-layer perceptron, o = σ(a·x1 + b·x2 + c), after {steps} "
        "steps of SGD on the binary cross-entropy:",
        "xor_perceptron_why": "Its decision boundary is one straight line, and no line puts "
        "(0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other. The best it can do "
        "is 0.5 everywhere: cost ln 2 ≈ {cost}.",
        "xor_network": "A 2-2-1 network after {steps} steps: each hidden neuron draws its own "
        "line in the (x1, x2) plane.",
        "xor_network_why": "In the hidden neurons' coordinates (h1, h2) the four points can be "
        "separated by one line, which the output neuron draws; cost {cost}.",
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
        "html_shows_update": "Each edge shows its value before → after the update; E, the "
        "error before → after.",
        "html_positive": "∂E/∂w > 0: w goes down",
        "html_negative": "∂E/∂w < 0: w goes up",
        # issue 13, part 3: the lessons (error split, computational graph, XOR)
        "split_credit": "From Tariq Rashid's Make Your Own Neural Network: each output's error "
        "is split among the hidden neurons that feed it, first in proportion to the weights, "
        "then as the matrix product Wᵀ · e that backpropagation uses.",
        "split_given": "The weights and the output errors",
        "split_output": "output",
        "split_error": "error e",
        "split_from": "weight from {neuron}",
        "split_sum": "Σw (sum)",
        "split_sum_is": "Row k holds the weights into output o_k (W, as nn.Linear stores it), and "
        "w_hk connects hidden neuron h to output k. Σw, the sum of the weights into an output, "
        "is the normalising sum of the split in proportion.",
        "split_proportional": "Split in proportion to the weights",
        "split_proportional_intro": "Each output's error is shared out over the weights into it, "
        "in proportion to each weight: the share sent back over w_hk is e_k · w_hk / Σw. A "
        "larger weight carries more of the error back.",
        "split_to": "to",
        "split_whole": "{output}: {shares} = {error}: the shares add up to the output's whole "
        "error.",
        "split_collect": "Each hidden neuron collects its shares from every output; their sum "
        "is its error:",
        "split_matrix": "Without the normalising sums: Wᵀ · e",
        "split_matrix_intro": "Drop the denominators (the normalising factors) and what is left "
        "is each error times its weight, summed at each hidden neuron: one matrix product, "
        "e_hidden = Wᵀ · e, with Wᵀ the transpose of W (its rows and columns swapped). It is "
        "the form backpropagation uses: a hidden neuron's ∂E/∂out is Σ_k w_hk · ∂E/∂net_k.",
        "split_compare": "How the two differ, and why",
        "split_hidden": "hidden neuron",
        "split_by_share": "by shares",
        "split_sent": "In all, the shares send back exactly each output's error, while Wᵀ · e "
        "sends back each error times its output's Σw: {sent}.",
        "split_same_sums": "Here the weights into every output sum to the same Σw = {sum}, so "
        "each term of Wᵀ · e is its share times Σw, and Wᵀ · e = Σw × the split in proportion: "
        "{scaled}. The hidden errors keep their proportions; only their scale changes.",
        "split_different_sums": "Here the weights into the outputs sum to different amounts "
        "({sums}), so Wᵀ · e scales each output's shares by a different factor: the hidden "
        "errors are not in the split's proportions, though each still grows with the weights "
        "that carry error to it.",
        "split_why": "Why drop the sums? As Rashid explains, the normalising factor only "
        "rescales the error fed back; what matters is that a larger weight carries more of it. "
        "Without the sums the whole step is one matrix product, short to write and fast to "
        "compute, whatever the size of the network, and the learning rate takes care of the "
        "scale.",
        "graph_apple": "From Koki Saito's Deep Learning from Scratch, chapter 5: buy 2 apples at "
        "100 each, with a consumption tax of 10% (× 1.1). Forward, the graph computes the "
        "price; backward, it finds how much the price changes when each input changes a little.",
        "graph_apple_orange": "From Koki Saito's Deep Learning from Scratch, chapter 5: buy 2 "
        "apples at 100 each and 3 oranges at 150 each, with a consumption tax of 10% (× 1.1). "
        "Forward, the graph computes the price; backward, it finds how much the price changes "
        "when each input changes a little.",
        "graph_legend_value": "value (forward)",
        "graph_legend_grad": "∂{result}/∂node (backward)",
        "graph_node": "node",
        "graph_computes": "computes",
        "graph_numbers": "with the numbers",
        "graph_forward_intro": "Left to right, each node computes its value from its inputs' "
        "values.",
        "graph_input": "its input",
        "graph_rule": "rule",
        "graph_local": "local derivative",
        "graph_share": "passed back",
        "graph_backward_intro": "Right to left, starting from ∂{result}/∂{result} = 1: each node "
        "multiplies the gradient that reached it by its local derivative with respect to each "
        "input, and passes the product back to that input. Addition passes the gradient "
        "through unchanged (local derivative 1); multiplication swaps its inputs (the local "
        "derivative with respect to one input is the other input's value).",
        "graph_rule_add": "+ passes it through: × 1",
        "graph_rule_sub": "− flips its sign: × −1",
        "graph_rule_mul": "× swaps: × {other} = {other_value}",
        "graph_rule_div_a": "/: × 1 / {other}",
        "graph_rule_div_b": "/ by it: × −{other} / (it)²",
        "graph_rule_pow_a": "^: × {other} · base^({other} − 1)",
        "graph_rule_pow_b": "^ as exponent: × result · ln(base)",
        "graph_add_says": "Addition passes the gradient through: ∂{result}/∂{source} = "
        "∂{result}/∂{target} × 1 = {upstream} × 1 = {share}.",
        "graph_mul_says": "Multiplication swaps its inputs: the gradient passed to {source} is "
        "the gradient of {target} times the other input, {other}: ∂{result}/∂{source} = "
        "∂{result}/∂{target} × {other} = {upstream} × {other_value} = {share}.",
        "graph_start": "1 (the start)",
        "graph_sum_of_shares": "∂{result}/∂node: what it receives",
        "graph_gradients": "The gradient of each node",
        "graph_gradients_intro": "A node that feeds several ops receives a gradient from each, "
        "and its gradient is their sum. The last column is the engine's own .grad after "
        "backward() (kept for the intermediate nodes by retain_grad); it equals the sum.",
        "xor_credit": "As in lecture 8 (perceptron and backpropagation) of Boostcourse's PyTorch "
        "course 파이토치로 시작하는 딥러닝 기초: sigmoid neurons, the binary cross-entropy and "
        "SGD with learning rate 1, on XOR's four points.",
        "xor_perceptron_heading": "A single-layer perceptron",
        "xor_network_heading": "A 2-2-1 network",
        "xor_perceptron_plane": "The perceptron's decision on the plane",
        "xor_network_plane": "The 2-2-1 network's decision on the plane, with the lines of its "
        "hidden neurons h1 and h2",
        "xor_says_1": "output ≥ 0.5 (says 1)",
        "xor_says_0": "output < 0.5 (says 0)",
        "xor_points": "the four points, marked by their targets",
        "xor_no_boundary": "{unit}: no decision boundary. Its weights ended at noise level "
        "(a = {a}, b = {b}, c = {c}): its net input stays within ±{reach} on the whole square, "
        "so its output is 0.5 everywhere, to within ±{spread}. A line computed from weights this "
        "small would be rounding noise, so none is given or drawn.",
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
        "split_title": "출력 오차를 은닉층 뉴런으로 나누어 보내기",
        "split_difference": "차이",
        "graph_title": "{result}의 계산 그래프: 순전파로 값을, 역전파로 기울기를",
        "xor_title": "퍼셉트론은 XOR을 배우지 못하고 2-2-1 신경망은 배우는 이유",
        "xor_perceptron": "단층 퍼셉트론 o = σ(a·x1 + b·x2 + c)를 이진 교차 엔트로피와 SGD로 "
        "{steps}번 학습한 결과:",
        "xor_perceptron_why": "결정 경계가 직선 하나뿐인데, (0, 1)과 (1, 0)을 한쪽에, (0, 0)과 "
        "(1, 1)을 다른 쪽에 두는 직선은 없습니다. 그래서 모든 점에서 0.5를 출력하는 것이 "
        "최선입니다: 비용 ln 2 ≈ {cost}.",
        "xor_network": "2-2-1 신경망을 {steps}번 학습한 결과: 은닉층 뉴런마다 (x1, x2) 평면에 "
        "자기 직선을 긋습니다.",
        "xor_network_why": "은닉층 뉴런의 좌표 (h1, h2)에서는 네 점을 직선 하나로 나눌 수 있고, "
        "출력층 뉴런이 그 직선을 긋습니다; 비용 {cost}.",
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
        "html_shows_update": "연결선마다 갱신 전 → 후의 값을, E에는 갱신 전 → 후의 오차를 "
        "보여 줍니다.",
        "html_positive": "∂E/∂w > 0: w가 줄어듦",
        "html_negative": "∂E/∂w < 0: w가 커짐",
        # issue 13, part 3: the lessons (error split, computational graph, XOR)
        "split_credit": "타리크 라시드의 『신경망 첫걸음』(Make Your Own Neural Network)에서: "
        "각 출력의 오차를 그 출력에 연결된 은닉층 뉴런들에 나누어 보냅니다. 먼저 가중치에 비례해 "
        "나누고, 다음으로 오차역전파가 쓰는 행렬 곱 Wᵀ · e로 계산합니다.",
        "split_given": "가중치와 출력 오차",
        "split_output": "출력",
        "split_error": "오차 e",
        "split_from": "{neuron}에서 오는 가중치",
        "split_sum": "Σw (합)",
        "split_sum_is": "k번째 행은 출력 o_k로 들어오는 가중치이고(nn.Linear가 저장하는 W), w_hk는 "
        "은닉층 뉴런 h와 출력 k를 잇습니다. 한 출력으로 들어오는 가중치의 합 Σw는 비례 분배에서 "
        "정규화하는 합입니다.",
        "split_proportional": "가중치에 비례해 나누기",
        "split_proportional_intro": "각 출력의 오차를 그 출력으로 들어오는 가중치에 비례해 "
        "나눕니다. w_hk를 따라 되돌아가는 몫은 e_k · w_hk / Σw입니다. 가중치가 클수록 더 많은 "
        "오차가 되돌아갑니다.",
        "split_to": "받는 뉴런",
        "split_whole": "{output}: {shares} = {error}. 몫을 모두 더하면 그 출력의 오차 전체가 "
        "됩니다.",
        "split_collect": "각 은닉층 뉴런은 모든 출력에서 자기 몫을 받고, 그 합이 그 뉴런의 "
        "오차입니다:",
        "split_matrix": "정규화하는 합 없이: Wᵀ · e",
        "split_matrix_intro": "분모(정규화 인자)를 없애면 각 오차에 가중치를 곱해 은닉층 뉴런마다 "
        "더한 것만 남습니다. 이는 행렬 곱 하나, e_hidden = Wᵀ · e이며, Wᵀ는 W의 행과 열을 바꾼 "
        "전치 행렬입니다. 오차역전파가 쓰는 형태입니다: 은닉층 뉴런의 ∂E/∂out은 "
        "Σ_k w_hk · ∂E/∂net_k입니다.",
        "split_compare": "두 방법의 차이와 그 이유",
        "split_hidden": "은닉층 뉴런",
        "split_by_share": "비례 분배",
        "split_sent": "모두 더하면, 비례 분배는 각 출력의 오차를 정확히 그만큼 되돌려 보내고, "
        "Wᵀ · e는 각 오차에 그 출력의 Σw를 곱한 만큼 보냅니다: {sent}.",
        "split_same_sums": "여기서는 모든 출력에서 가중치의 합이 같습니다(Σw = {sum}). 그래서 "
        "Wᵀ · e의 각 항은 몫 × Σw이고, Wᵀ · e = Σw × (비례 분배)입니다: {scaled}. 은닉층 "
        "오차의 비율은 그대로이고 크기만 달라집니다.",
        "split_different_sums": "여기서는 출력마다 가중치의 합이 다릅니다({sums}). 그래서 "
        "Wᵀ · e는 출력마다 다른 배율로 몫을 키우고, 은닉층 오차는 비례 분배와 같은 비율이 "
        "아닙니다. 그래도 각 오차는 그 오차를 나르는 가중치가 클수록 커집니다.",
        "split_why": "왜 합을 없앨까요? 라시드의 설명처럼 정규화 인자는 되돌아가는 오차의 크기만 "
        "바꿀 뿐이고, 중요한 것은 큰 가중치가 더 많은 오차를 나른다는 점입니다. 합을 없애면 "
        "신경망의 크기와 상관없이 한 단계 전체가 행렬 곱 하나로 간결하게 표현되고 컴퓨터로 빠르게 "
        "계산되며, 크기는 학습률이 조절합니다.",
        "graph_apple": "사이토 고키의 『밑바닥부터 시작하는 딥러닝』 5장에서: 100원짜리 사과 2개를 "
        "사고 소비세 10%(× 1.1)를 더합니다. 순전파는 지불 금액을 계산하고, 역전파는 각 입력이 "
        "조금 변할 때 지불 금액이 얼마나 변하는지 구합니다.",
        "graph_apple_orange": "사이토 고키의 『밑바닥부터 시작하는 딥러닝』 5장에서: 100원짜리 "
        "사과 2개와 150원짜리 귤 3개를 사고 소비세 10%(× 1.1)를 더합니다. 순전파는 지불 금액을 "
        "계산하고, 역전파는 각 입력이 조금 변할 때 지불 금액이 얼마나 변하는지 구합니다.",
        "graph_legend_value": "값 (순전파)",
        "graph_legend_grad": "∂{result}/∂노드 (역전파)",
        "graph_node": "노드",
        "graph_computes": "계산",
        "graph_numbers": "값을 넣으면",
        "graph_forward_intro": "왼쪽에서 오른쪽으로, 각 노드는 입력의 값으로 자기 값을 계산합니다.",
        "graph_input": "입력",
        "graph_rule": "규칙",
        "graph_local": "국소 미분",
        "graph_share": "전해지는 기울기",
        "graph_backward_intro": "오른쪽에서 왼쪽으로, ∂{result}/∂{result} = 1에서 시작합니다. "
        "각 노드는 전해진 기울기에 입력마다의 국소 미분을 곱해 그 입력으로 보냅니다. 덧셈 노드는 "
        "기울기를 그대로 흘려보내고(국소 미분 1), 곱셈 노드는 입력을 서로 바꾸어 곱합니다(한 "
        "입력에 대한 국소 미분은 다른 입력의 값).",
        "graph_rule_add": "+ 그대로 흘려보냄: × 1",
        "graph_rule_sub": "− 부호를 바꿈: × −1",
        "graph_rule_mul": "× 입력을 바꿈: × {other} = {other_value}",
        "graph_rule_div_a": "/: × 1 / {other}",
        "graph_rule_div_b": "/ 나누는 수: × −{other} / (나누는 수)²",
        "graph_rule_pow_a": "^: × {other} · 밑^({other} − 1)",
        "graph_rule_pow_b": "^ 지수: × 결과 · ln(밑)",
        "graph_add_says": "덧셈은 기울기를 그대로 흘려보냅니다: ∂{result}/∂{source} = "
        "∂{result}/∂{target} × 1 = {upstream} × 1 = {share}.",
        "graph_mul_says": "곱셈은 입력을 서로 바꾸어 곱합니다. {source}에 전해지는 기울기 = "
        "{target}의 기울기 × 다른 입력 {other}: ∂{result}/∂{source} = ∂{result}/∂{target} × "
        "{other} = {upstream} × {other_value} = {share}.",
        "graph_start": "1 (시작)",
        "graph_sum_of_shares": "∂{result}/∂노드: 받은 기울기",
        "graph_gradients": "노드마다의 기울기",
        "graph_gradients_intro": "여러 연산에 쓰이는 노드는 각 연산에서 기울기를 받고, 그 합이 "
        "노드의 기울기입니다. 마지막 열은 backward() 후 엔진이 계산한 .grad이며(중간 노드는 "
        "retain_grad로 보관), 합과 같습니다.",
        "xor_credit": "부스트코스 『파이토치로 시작하는 딥러닝 기초』 8강(퍼셉트론과 오차역전파)과 "
        "같이: 시그모이드 뉴런, 이진 교차 엔트로피, 학습률 1의 SGD로 XOR의 네 점을 학습합니다.",
        "xor_perceptron_heading": "단층 퍼셉트론",
        "xor_network_heading": "2-2-1 신경망",
        "xor_perceptron_plane": "퍼셉트론이 평면에서 내린 결정",
        "xor_network_plane": "2-2-1 신경망이 평면에서 내린 결정과 은닉층 뉴런 h1, h2의 직선",
        "xor_says_1": "출력 ≥ 0.5 (판단 1)",
        "xor_says_0": "출력 < 0.5 (판단 0)",
        "xor_points": "네 점, 목표값으로 표시",
        "xor_no_boundary": "{unit}: 결정 경계가 없습니다. 가중치가 잡음 수준에서 끝났습니다"
        "(a = {a}, b = {b}, c = {c}). 순입력이 정사각형 전체에서 ±{reach} 안에 머물러, 출력은 "
        "어디서나 0.5입니다(차이 ±{spread} 이내). 이렇게 작은 가중치로 계산한 직선은 반올림 잡음일 "
        "뿐이므로 직선을 제시하지도 그리지도 않습니다.",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` ("en" or "ko"), with ``values`` filled in."""
    if lang not in LABELS:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return LABELS[lang][key].format(**values)
