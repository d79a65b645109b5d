"""Every word the lessons print (``explain``, ``gradcheck``, ``bench numeric-vs-backprop``), in
English and Korean; the numbers never change with the language.

``say(lang, key, **values)`` returns the sentence for ``key`` with ``values`` filled in;
``credit(lang, *works)`` the line that names the works a lesson comes from (``WORKS``).
docs/KOREAN.md is the glossary and the particle rule the Korean follows.
"""

from __future__ import annotations

LANGUAGES = ("en", "ko")

WORKS: dict[str, dict[str, str]] = {
    "en": {
        "mazur": 'Matt Mazur, "A Step by Step Backpropagation Example"',
        "python_notes": 'the lecture notes "파이썬(Python)으로 구현하는 오차역전파" '
        "(backpropagation implemented in Python)",
        "rashid": "Tariq Rashid, Make Your Own Neural Network",
        "boostcourse": 'Boostcourse, "파이토치로 시작하는 딥러닝 기초" '
        "(deep learning basics with PyTorch), lecture 8",
        "saito": "Koki Saito, Deep Learning from Scratch",
    },
    "ko": {
        "mazur": "Matt Mazur, 「A Step by Step Backpropagation Example」",
        "python_notes": "강의 자료 「파이썬(Python)으로 구현하는 오차역전파」",
        "rashid": "타리크 라시드, 『신경망 첫걸음』",
        "boostcourse": "부스트코스, 「파이토치로 시작하는 딥러닝 기초」 8강",
        "saito": "사이토 고키, 『밑바닥부터 시작하는 딥러닝』",
    },
}
"""The works the lessons come from, as each language's readers know them (the Korean
editions of Rashid's and Saito's books; the lecture notes and the course by the titles the
material gives them). The material itself is never named by its file."""

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
        # The matrix form and float32 models (issue 13, part 2)
        "widened": "The model holds {dtype} numbers; this walk-through computes in float64 "
        "from each value as written (its shortest decimal), so its numbers are those of a "
        "computation by hand.",
        "matrix": "The same step as matrix products",
        "matrix_intro": "Stack a layer's neurons into a column vector and its weights into a "
        "matrix Wˡ, one row per neuron and one column per input: each product below computes, "
        "entry by entry, the sums of the tables above. A shape (r×c) is r rows by c columns; "
        "ᵀ transposes, and ⊙ multiplies entry by entry.",
        "matrix_capped": "Matrices with more than {most} rows or columns are shown by their "
        "shapes only; the tables above hold their numbers.",
        "matrix_forward": "netˡ = Wˡ · outˡ⁻¹ + bˡ, with out⁰ = x the input; then "
        "outˡ = f(netˡ), the activation applied to each entry.",
        "matrix_backward": "At the output layer δᴸ = ∂E/∂outᴸ ⊙ f′(netᴸ); at a hidden layer "
        "δˡ = (Wˡ⁺¹ᵀ · δˡ⁺¹) ⊙ f′(netˡ), where Wᵀ sends each δ back along the weights it came "
        "through and adds up what reaches each neuron. δ is ∂E/∂net.",
        "matrix_gradients": "∂E/∂Wˡ = δˡ · (outˡ⁻¹)ᵀ, an outer product: the entry in row j, "
        "column i is δ_j · out_i, the gradient of the weight from i to j. ∂E/∂bˡ = δˡ.",
        "matrix_update": "Wˡ⁺ = Wˡ − η · ∂E/∂Wˡ and bˡ⁺ = bˡ − η · ∂E/∂bˡ, every entry at once.",
        "matrix_batch": "The batch form",
        "matrix_batch_intro": "Code runs a batch of B samples at once, one sample per row. A "
        "layer's input X has shape (B×n) (the samples for the first layer, the previous "
        "layer's outputs after it), and the layer computes NET = X · Wᵀ + b, b added to each "
        "row: this is what nn.Linear computes. Backward, Δ holds each sample's δ as a row, and "
        "∂E/∂W = Δᵀ · X adds up the B samples' δ · xᵀ; ∂E/∂b adds up the rows of Δ.",
        "matrix_batch_one": "Here the batch is this one sample (B = 1), so X = xᵀ and Δ = δᵀ: "
        "the first layer's numbers above, written as nn.Linear computes them.",
        # Korean and the sources (issue 13): credits, gradcheck, bench numeric-vs-backprop
        "source": "Source: {works}",
        "sources": "Sources: {works}",
        "name_backprop": "backprop",
        "name_numerical": "numerical",
        "central_differences": "central differences",
        "pass": "PASS",
        "fail": "FAIL",
        "gradcheck_title": "Gradient check of a {layers} network ({activation}, {loss} loss) on "
        "{batch} random samples, seed {seed}, float64",
        "gradcheck_shape": "shape",
        "gradcheck_max": "max |{backprop} - {numerical}|",
        "gradcheck_of_allowed": "of allowed",
        "gradcheck_result": "result",
        "gradcheck_methods": "backprop: loss.backward(); numerical: central differences, eps {eps}",
        "gradcheck_rule": "rule (cr.gradcheck's): {rule},\n  atol {atol}, rtol {rtol}; "
        '"of allowed" is the worst element\'s share of that\n  bound, and a parameter passes '
        "when it is at most 1",
        "gradcheck_pass": "PASS: backprop agrees with central differences on all {count} "
        "parameter tensors ({numbers} numbers)",
        "gradcheck_fail": "FAIL: backprop disagrees with central differences on {names} "
        "({failed} of {count} parameter tensors)",
        "bench_title": "One gradient of a {network} sigmoid network ({parameters} parameters), "
        "MSE on {images}, float64:",
        "bench_image": "{count} random image",
        "bench_images": "{count} random images",
        "bench_backprop": "backprop (1 forward + 1 backward pass, median of {runs} runs)",
        "bench_numerical": "central differences (2 forward passes per parameter)",
        "bench_estimated": "estimated from the median time of {sampled} of {parameters} "
        "parameters ({duration} in all)",
        "bench_measured": "measured on all {parameters} parameters",
        "bench_ratio": "{numerical} / {backprop}",
        "bench_times": "{ratio}x",
        "bench_same": "same answer",
        "bench_different": "DIFFERENT ANSWERS",
        "bench_agreement": "{verdict} on the {sampled} parameters timed: the worst is at {worst} "
        "of the bound",
        "bench_rule": "{rule} (cr.gradcheck's rule,\natol {atol}, rtol {rtol})",
        "bench_epoch": "The lecture notes' scenario: one epoch of {images} images in "
        "mini-batches of {batch} ({gradients} gradients):",
        "duration_ms": "{value} ms",
        "duration_s": "{value} s",
        "duration_min": "{value} min",
        "duration_hours": "{value} hours",
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
        "ce_intro": "Softmax with cross-entropy, as chapter 5 of Saito's book works it: the "
        "softmax turns the outputs into probabilities, y_k = e^out_k / Σ_j e^out_j, which are "
        "positive and sum to 1; each output's error term is −target_k·log y_k.",
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
        # issue 13, part 3: the lessons (error split, computational graph, XOR)
        "split_intro": "Each output's error is split among the hidden neurons that feed it, first "
        "in proportion to the weights, then as the matrix product Wᵀ · e that backpropagation "
        "uses.",
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
        "graph_apple": "Chapter 5's example: buy 2 apples at 100 each, with a consumption tax of "
        "10% (× 1.1). Forward, the graph computes the price; backward, it finds how much the "
        "price changes when each input changes a little.",
        "graph_apple_orange": "Chapter 5's example: buy 2 apples at 100 each and 3 oranges at 150 "
        "each, with a consumption tax of 10% (× 1.1). Forward, the graph computes the price; "
        "backward, it finds how much the price changes when each input changes a little.",
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
        "xor_intro": "As in lecture 8 (perceptron and backpropagation): sigmoid neurons, the "
        "binary cross-entropy and SGD with learning rate 1, on XOR's four points.",
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
        "title": "한 단계씩 계산하는 오차역전파",
        "network": "신경망",
        "inputs": "입력",
        "forward": "순전파",
        "forward_intro": "각 뉴런은 입력에 가중치를 곱한 값과 편향을 모두 더하고(net), 여기에 "
        "활성화 함수를 적용합니다(out).",
        "errors": "오차",
        "errors_intro": "출력마다 오차 항이 하나씩 있고, 전체 오차 E는 그 합입니다. 아래 식에서 "
        "target은 정답을 뜻합니다.",
        "backward": "역전파",
        "backward_intro": "E의 w에 대한 편미분 ∂E/∂w를 연쇄 법칙으로 세 국소 미분의 곱으로 "
        "분리합니다: ∂E/∂out · ∂out/∂net · ∂net/∂w. 마지막 열은 엔진이 계산한 기울기이며, "
        "이 곱과 같습니다.",
        "deltas": "각 뉴런에서의 연쇄 법칙",
        "deltas_intro": "∂E/∂net = ∂E/∂out · ∂out/∂net. 은닉층 뉴런 하나는 다음 층의 여러 "
        "뉴런에 영향을 미치므로, 그 뉴런의 편미분 ∂E/∂out은 연결된 모든 뉴런의 ∂E/∂net · w를 "
        "더한 값입니다.",
        "update": "업데이트",
        "update_intro": "각 매개변수에서 편미분 ∂E/∂w에 학습률 η를 곱한 값을 뺍니다: "
        "새 값 = 이전 값 − η · ∂E/∂w, η = {lr}.",
        "update_frozen": "예제에서처럼 편향은 고정되어 값이 바뀌지 않습니다.",
        "after": "업데이트 후",
        "after_sentence": "전체 오차가 바뀌었습니다: {before} → {after}.",
        "steps": "학습 단계",
        "steps_intro": "이 샘플 하나로 {steps}번 업데이트하면서, 업데이트할 때마다 잰 오차입니다.",
        "step": "단계",
        "neuron": "뉴런",
        "layer": "층",
        "activation": "활성화 함수",
        "net": "net (순입력)",
        "out": "out (출력값)",
        "target": "정답",
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
        "split_title": "출력 오차를 은닉층 뉴런에 나누어 전달하기",
        "split_difference": "차이",
        "graph_title": "{result}의 계산 그래프: 순전파로 값을, 역전파로 기울기를",
        "xor_title": "단층 퍼셉트론은 XOR 문제를 풀지 못하고 2-2-1 신경망은 푸는 이유",
        "xor_perceptron": "단층 퍼셉트론 o = σ(a·x1 + b·x2 + c)를 이진 교차 엔트로피와 SGD로 "
        "{steps}번 학습한 결과:",
        "xor_perceptron_why": "결정 경계가 직선 하나뿐인데, (0, 1)과 (1, 0)을 한쪽에, (0, 0)과 "
        "(1, 1)을 다른 쪽에 두는 직선은 없습니다. 그래서 모든 점에서 0.5를 출력하는 것이 "
        "최선이고, 이때 비용은 ln 2 ≈ {cost}입니다.",
        "xor_network": "2-2-1 신경망을 {steps}번 학습한 결과: 은닉층 뉴런마다 (x1, x2) 평면에 "
        "직선을 하나씩 긋습니다.",
        "xor_network_why": "은닉층 뉴런의 좌표 (h1, h2)에서는 네 점을 직선 하나로 나눌 수 있고, "
        "출력층 뉴런이 그 직선을 긋습니다. 비용은 {cost}입니다.",
        "neurons": "뉴런 수",
        "layer_sizes": "층별 뉴런 수: {sizes}.",
        "loss": "손실 함수: {formula}",
        "learning_rate": "학습률: η = {lr}",
        "biases_frozen": "편향: 예제에서처럼 고정.",
        "biases_trained": "편향: 가중치와 함께 업데이트.",
        "hidden_n": "은닉층 {n}",
        "feeds": "연결된 뉴런",
        "weight": "가중치",
        "feed_product": "∂E/∂net · w",
        "gradients": "매개변수별 기울기",
        "old": "이전 값",
        "html_forward": "순전파",
        "html_backward": "역전파",
        "html_update": "업데이트",
        "html_keys": "← → 키로도 넘길 수 있습니다",
        "html_shows_forward": "뉴런마다 net과 out을, 연결선마다 가중치 w를, 출력마다 정답 t와 "
        "오차 항을 보여 줍니다.",
        "html_shows_backward": "뉴런마다 편미분 ∂E/∂out과 ∂E/∂net(δ)을, 연결선마다 기울기 "
        "∂E/∂w를 보여 줍니다.",
        "html_shows_update": "연결선마다 업데이트 후의 값을(툴팁에는 업데이트 전 → 후의 값을), "
        "E에는 업데이트 전 → 후의 오차를 보여 줍니다.",
        "html_positive": "∂E/∂w > 0: w가 줄어듦",
        "html_negative": "∂E/∂w < 0: w가 커짐",
        # The matrix form and float32 models (issue 13, part 2)
        "widened": "이 모델의 값은 {dtype} 형식입니다. 이 풀이는 각 값을 적힌 그대로(가장 짧은 "
        "십진 표기) float64 형식으로 옮겨 계산하므로, 손으로 계산한 값과 같은 수가 나옵니다.",
        "matrix": "행렬곱으로 나타낸 같은 단계",
        "matrix_intro": "한 층의 뉴런들을 열벡터로, 가중치를 행렬 Wˡ로 모으면(뉴런마다 한 행, "
        "입력마다 한 열), 아래의 각 행렬곱은 위 표의 합들을 원소별로 한꺼번에 계산합니다. (r×c) "
        "형상은 r행 c열이고, 전치는 ᵀ, 원소별 곱은 ⊙ 기호로 나타냅니다.",
        "matrix_capped": "행이나 열이 {most}개보다 많은 행렬은 형상만 보여 줍니다. 그 값은 위의 "
        "표에 있습니다.",
        "matrix_forward": "netˡ = Wˡ · outˡ⁻¹ + bˡ이고(입력층에서는 out⁰ = x), 이어서 활성화 함수 "
        "f를 원소마다 적용합니다: outˡ = f(netˡ).",
        "matrix_backward": "출력층에서는 δᴸ = ∂E/∂outᴸ ⊙ f′(netᴸ), 은닉층에서는 "
        "δˡ = (Wˡ⁺¹ᵀ · δˡ⁺¹) ⊙ f′(netˡ)입니다. Wᵀ는 각 δ를 거쳐 온 가중치를 따라 되돌려 보내고, "
        "뉴런마다 도착한 값을 더합니다. δ는 ∂E/∂net, 곧 E의 net에 대한 편미분입니다.",
        "matrix_gradients": "∂E/∂Wˡ = δˡ · (outˡ⁻¹)ᵀ는 외적입니다. j행 i열의 원소 δ_j · out_i가 "
        "i에서 j로 가는 가중치에 대한 E의 편미분, 곧 기울기입니다. ∂E/∂bˡ = δˡ.",
        "matrix_update": "Wˡ⁺ = Wˡ − η · ∂E/∂Wˡ, bˡ⁺ = bˡ − η · ∂E/∂bˡ: 편미분을 모은 "
        "행렬에 학습률을 곱해 빼므로, 모든 원소가 한 번에 업데이트됩니다.",
        "matrix_batch": "배치 형태",
        "matrix_batch_intro": "코드는 샘플 B개를 한 번에, 샘플 하나를 한 행으로 계산합니다. 층의 "
        "입력 X는 (B×n) 형상이고(첫 층에서는 샘플들, 그다음 층부터는 앞 층의 출력), 층은 NET = X "
        "· Wᵀ + b를 계산합니다(b는 행마다 더함). nn.Linear가 계산하는 식이 바로 이것입니다. "
        "역전파에서 Δ는 각 샘플의 δ를 한 행씩 담고, ∂E/∂W = Δᵀ · X는 B개 샘플의 δ · xᵀ를 모두 "
        "더합니다. ∂E/∂b는 Δ의 행들을 더한 값입니다.",
        "matrix_batch_one": "여기서는 배치가 이 샘플 하나이므로(B = 1) X = xᵀ, Δ = δᵀ입니다. 첫 "
        "층의 값을 nn.Linear가 계산하는 방식으로 쓰면 다음과 같습니다.",
        # Korean and the sources (issue 13): credits, gradcheck, bench numeric-vs-backprop
        "source": "출처: {works}",
        "sources": "출처: {works}",
        "name_backprop": "역전파",
        "name_numerical": "수치 미분",
        "central_differences": "중앙 차분",
        "pass": "통과",
        "fail": "실패",
        "gradcheck_title": "{layers} 신경망({activation}, {loss} 손실)의 기울기 확인: "
        "무작위 샘플 {batch}개, 시드 {seed}, float64",
        "gradcheck_shape": "형상",
        "gradcheck_max": "최대 |{backprop} - {numerical}|",
        "gradcheck_of_allowed": "허용치 대비",
        "gradcheck_result": "결과",
        "gradcheck_methods": "역전파: loss.backward(), 수치 미분: 중앙 차분, eps {eps}",
        "gradcheck_rule": "판정 규칙(cr.gradcheck의 규칙): {rule},\n  atol {atol}, rtol {rtol}. "
        '"허용치 대비"는 가장 어긋난 원소의 차이가 이 한계에서 차지하는\n  비율이며, 1 이하이면 '
        "그 매개변수는 통과합니다.",
        "gradcheck_pass": "통과: 매개변수 텐서 {count}개 모두에서 역전파와 중앙 차분이 "
        "일치합니다(값 {numbers}개).",
        "gradcheck_fail": "실패: 매개변수 텐서 {count}개 중 {failed}개({names})에서 역전파와 "
        "중앙 차분이 일치하지 않습니다.",
        "bench_title": "{network} 시그모이드 신경망(매개변수 {parameters}개)에서 기울기 하나를 "
        "구하는 시간, {images}에 대한 MSE 손실, float64:",
        "bench_image": "무작위 이미지 {count}장",
        "bench_images": "무작위 이미지 {count}장",
        "bench_backprop": "역전파 (순전파 1번 + 역전파 1번, {runs}번 잰 시간의 중앙값)",
        "bench_numerical": "중앙 차분 (매개변수마다 순전파 2번)",
        "bench_estimated": "매개변수 {parameters}개 중 {sampled}개의 시간 중앙값으로 추정 "
        "(모두 합쳐 {duration})",
        "bench_measured": "매개변수 {parameters}개 모두에서 잰 시간",
        "bench_ratio": "{numerical} / {backprop}",
        "bench_times": "{ratio}배",
        "bench_same": "같은 답",
        "bench_different": "다른 답",
        "bench_agreement": "{verdict}: 시간을 잰 매개변수 {sampled}개에서 가장 큰 차이는 한계의 "
        "{worst}배",
        "bench_rule": "{rule} (cr.gradcheck의 규칙,\natol {atol}, rtol {rtol})",
        "bench_epoch": "강의 자료의 예: 이미지 {images}장으로 한 에폭, 크기 {batch}의 미니배치 "
        "(기울기 {gradients}번):",
        "duration_ms": "{value}ms",
        "duration_s": "{value}초",
        "duration_min": "{value}분",
        "duration_hours": "{value}시간",
        # Formulas beside numbers (issue 13, part 1)
        "initial": "초기 가중치와 편향",
        "initial_intro": "학습을 시작하는 값입니다. 입력층 쪽부터 층 순서로 적었으며, 아래의 "
        "순전파는 이 값에서 출발합니다.",
        "initial_equal_biases": "{names}: 같은 값 {value}에서 시작합니다. 예제는 층마다 편향을 "
        "하나로 적지만, 뉴런마다 기울기가 따로 있는 별개의 매개변수이므로 여기서는 이름을 "
        "따로 붙였습니다.",
        "probability": "y (소프트맥스)",
        "outputs_n": "n = {n}: 출력 뉴런의 수.",
        "gradients_intro": "∂net/∂w는 가중치가 곱해지는 값, 곧 입력이거나 그 가중치가 나오는 앞 "
        "층 뉴런의 out입니다. 편향에서는 1입니다.",
        "piecewise": "{cond}일 때 {a}, 아니면 {b}",
        "ce_intro": "소프트맥스와 교차 엔트로피는 사이토 고키의 책 5장에서처럼 계산합니다. "
        "소프트맥스 함수는 출력을 확률로 바꿉니다: y_k = e^out_k / Σ_j e^out_j. 이 확률은 모두 "
        "양수이고 합이 1입니다. 각 출력의 오차 항은 −target_k·log y_k입니다.",
        "ce_backward": "소프트맥스와 교차 엔트로피의 역전파",
        "ce_backward_intro": "사이토 고키의 SoftmaxWithLoss 계층은 역전파에서 y − target을 "
        "내보냅니다. 이 값이 어떻게 나오는지 이 신경망의 숫자로 네 단계에 걸쳐 보입니다(δ_jk는 j "
        "= k이면 1, 아니면 0).",
        "ce_step_dE_dy": "1단계. 손실 함수: E = −Σ_j target_j·log y_j이므로 "
        "∂E/∂y_j = −target_j / y_j입니다.",
        "ce_step_jacobian": "2단계. 소프트맥스: 각 y_j는 모든 out_k에 따라 달라지며, "
        "∂y_j/∂out_k = y_j·(δ_jk − y_k)입니다. 곧 j = k이면 y_j·(1 − y_j), 아니면 "
        "−y_j·y_k입니다.",
        "ce_step_chain": "3단계. 연쇄 법칙: out_k의 영향은 모든 y_j를 거쳐 E에 전해지므로 "
        "∂E/∂out_k = Σ_j ∂E/∂y_j · ∂y_j/∂out_k입니다.",
        "ce_step_collapse": "4단계. 합이 간단해집니다: Σ_j (−target_j / y_j)·y_j·(δ_jk − y_k) = "
        "−target_k + y_k·Σ_j target_j이고, 정답의 합이 1이므로 ∂E/∂out_k = y_k − target_k입니다. "
        "이것이 SoftmaxWithLoss가 내보내는 기울기이며, 엔진이 계산한 기울기와도 같습니다.",
        "ce_step_collapse_soft": "4단계. 합이 간단해집니다: Σ_j (−target_j / y_j)·y_j·(δ_jk − "
        "y_k) = y_k·Σ_j target_j − target_k. 여기서는 정답의 합이 1이 아니므로 결과는 y − "
        "target이 아니라 다음과 같습니다:",
        # The page to play with (issue 13, part 4)
        "html_play": "직접 해 보기: 아무 숫자나 바꾸면 나머지 숫자가 모두 따라 바뀝니다",
        "html_targets": "정답",
        "html_lr": "학습률 η",
        "html_parameters": "가중치와 편향",
        "html_train_steps": "학습할 단계 수",
        "html_train": "학습",
        "html_reset": "처음 값으로",
        "html_chart": "학습 단계별 오차 E",
        "html_chart_point": "단계 {step}: E = {error}",
        "html_chart_empty": "학습을 누르면 오차 곡선이 그려집니다.",
        "html_factors": "연쇄 법칙을 인수 하나씩 따라가기",
        "html_factor_previous": "◀ 이전",
        "html_factor_next": "다음 ▶",
        "html_factor_keys": "Shift+←, Shift+→ 키로도 넘길 수 있습니다",
        "html_factor_start": "다음을 누르면 역전파를 연쇄 법칙의 인수 하나씩 따라갑니다.",
        "html_factor_output": "{neuron}의 출력에 대한 E의 편미분",
        "html_factor_local": "net_{neuron}에서 {activation}의 국소 미분",
        "html_factor_delta": "{neuron}에서의 연쇄 법칙: δ = ∂E/∂out · ∂out/∂net",
        "html_factor_feed": "되돌아가는 경로 하나: {neuron} → {weight} → {to}",
        "html_factor_sum": "∂E/∂out_{neuron}: {neuron}에서 E까지 가는 모든 경로의 합",
        "html_factor_param": "{name}의 기울기",
        "html_error": "이 페이지는 숫자를 다시 계산할 수 없습니다: {message}",
        "html_bce_range": "이진 교차 엔트로피에는 0과 1 사이의 출력과 정답이 필요합니다. 보이는 "
        "숫자는 그 조건을 마지막으로 만족한 값입니다.",
        "html_not_number": "숫자를 입력하세요.",
        # issue 13, part 3: the lessons (error split, computational graph, XOR)
        "split_intro": "각 출력의 오차를 그 출력에 연결된 은닉층 뉴런들에 나누어 보냅니다. 먼저 "
        "가중치에 비례해 나누고, 다음으로 오차역전파가 쓰는 행렬곱 Wᵀ · e로 계산합니다.",
        "split_given": "가중치와 출력 오차",
        "split_output": "출력",
        "split_error": "오차 e",
        "split_from": "{neuron}에서 오는 가중치",
        "split_sum": "Σw (합)",
        "split_sum_is": "k번째 행은 출력 o_k로 들어오는 가중치이고(nn.Linear가 저장하는 W), "
        "w_hk는 은닉층 뉴런 h와 출력 k를 잇습니다. 한 출력으로 들어오는 가중치의 합 Σw는 비례 "
        "분배의 정규화 인자(분모)입니다.",
        "split_proportional": "가중치에 비례해 나누기",
        "split_proportional_intro": "각 출력의 오차를 그 출력으로 들어오는 가중치에 비례해 "
        "나눕니다. w_hk를 따라 되돌아가는 몫은 e_k · w_hk / Σw입니다. 가중치가 클수록 더 많은 "
        "오차가 되돌아갑니다.",
        "split_to": "받는 뉴런",
        "split_whole": "{output}: {shares} = {error}. 몫을 모두 더하면 그 출력의 오차 전체가 "
        "됩니다.",
        "split_collect": "각 은닉층 뉴런은 모든 출력에서 자기 몫을 받고, 그 합이 그 뉴런의 "
        "오차입니다:",
        "split_matrix": "정규화 인자 없이: Wᵀ · e",
        "split_matrix_intro": "분모(정규화 인자)를 없애면 각 오차에 가중치를 곱해 은닉층 뉴런마다 "
        "더한 값만 남습니다. 이것은 행렬곱 하나, e_hidden = Wᵀ · e이며, Wᵀ는 W의 행과 열을 바꾼 "
        "전치 행렬입니다. 오차역전파가 쓰는 형태가 바로 이것입니다. 은닉층 뉴런의 ∂E/∂out은 Σ_k "
        "w_hk · ∂E/∂net_k입니다.",
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
        "split_why": "왜 분모를 없앨까요? 라시드의 설명처럼 정규화 인자는 되돌아가는 오차의 "
        "크기만 바꿀 뿐이고, 중요한 것은 큰 가중치가 더 많은 오차를 나른다는 점입니다. 분모를 "
        "없애면 신경망의 크기와 상관없이 한 단계 전체가 행렬곱 하나로 간결하게 표현되고 컴퓨터로 "
        "빠르게 계산되며, 크기는 학습률이 조절합니다.",
        "graph_apple": "5장의 예: 100원짜리 사과 2개를 사고 소비세 10%(× 1.1)를 더합니다. "
        "순전파는 지불 금액을 계산하고, 역전파는 각 입력이 조금 변할 때 지불 금액이 얼마나 "
        "변하는지 구합니다.",
        "graph_apple_orange": "5장의 예: 100원짜리 사과 2개와 150원짜리 귤 3개를 사고 소비세 "
        "10%(× 1.1)를 더합니다. 순전파는 지불 금액을 계산하고, 역전파는 각 입력이 조금 변할 때 "
        "지불 금액이 얼마나 변하는지 구합니다.",
        "graph_legend_value": "값 (순전파)",
        "graph_legend_grad": "∂{result}/∂노드 (역전파)",
        "graph_node": "노드",
        "graph_computes": "계산식",
        "graph_numbers": "값 대입",
        "graph_forward_intro": "순전파는 왼쪽에서 오른쪽으로 진행하며, 각 노드는 입력의 값으로 "
        "자기 값을 계산합니다.",
        "graph_input": "입력",
        "graph_rule": "규칙",
        "graph_local": "국소 미분",
        "graph_share": "전해지는 기울기",
        "graph_backward_intro": "역전파는 오른쪽에서 왼쪽으로, ∂{result}/∂{result} = 1에서 "
        "시작합니다. 각 노드는 전해진 기울기에 각 입력에 대한 국소 미분을 곱해 그 입력으로 "
        "보냅니다. 덧셈 노드는 기울기를 그대로 흘려보내고(국소 미분 1), 곱셈 노드는 입력을 서로 "
        "바꾸어 곱합니다(한 입력에 대한 국소 미분은 다른 입력의 값).",
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
        "graph_sum_of_shares": "∂{result}/∂노드: 받은 기울기의 합",
        "graph_gradients": "노드별 기울기",
        "graph_gradients_intro": "여러 연산에 쓰이는 노드는 연산마다 기울기를 받고, 그 합이 "
        "노드의 기울기입니다. 마지막 열은 backward()를 호출한 뒤 엔진이 계산한 .grad이며(중간 "
        "노드는 retain_grad()로 남겨 둠), 이 합과 같습니다.",
        "xor_intro": "8강(퍼셉트론과 오차역전파)에서처럼 시그모이드 뉴런, 이진 교차 엔트로피, "
        "학습률 1의 SGD로 XOR 문제의 네 점을 학습합니다.",
        "xor_perceptron_heading": "단층 퍼셉트론",
        "xor_network_heading": "2-2-1 신경망",
        "xor_perceptron_plane": "단층 퍼셉트론이 평면에서 내린 결정",
        "xor_network_plane": "2-2-1 신경망이 평면에서 내린 결정과 은닉층 뉴런 h1, h2의 직선",
        "xor_says_1": "출력 ≥ 0.5 (판단 1)",
        "xor_says_0": "출력 < 0.5 (판단 0)",
        "xor_points": "네 점, 정답에 따라 표시",
        "xor_no_boundary": "{unit}: 결정 경계가 없습니다. 학습이 끝났을 때 가중치가 잡음 "
        "수준입니다(a = {a}, b = {b}, c = {c}). 순입력이 단위 정사각형 전체에서 ±{reach} 안에 "
        "머물러 출력은 어디서나 0.5입니다(차이 ±{spread} 이내). 이렇게 작은 가중치로 계산한 "
        "직선은 반올림 잡음일 뿐이므로 적지도 그리지도 않습니다.",
    },
}


def say(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` ("en" or "ko"), with ``values`` filled in."""
    if lang not in LABELS:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return LABELS[lang][key].format(**values)


def credit(lang: str, *works: str) -> str:
    """The line that credits ``works`` (keys of ``WORKS``), in ``lang``: "Source: ..." for
    one, "Sources: ...; ..." for more."""
    key = "source" if len(works) == 1 else "sources"
    names = "; ".join(WORKS[lang][work] for work in works) if lang in WORKS else ""
    return say(lang, key, works=names)  # say refuses a language it does not know
