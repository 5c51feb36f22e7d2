#!/usr/bin/env python3
"""Writes a synthetic stand-in for the IMDB review set: 50,000 two-class "reviews" of ~230 words
on average (log-normal lengths), Zipf-distributed background words from an 80,000-word
vocabulary, a band of 3,000 opinion words whose use leans towards one class, and 8 %
flipped labels. Unlike make_synthetic.py the classes overlap, so logistic regression needs on the
order of a hundred L-BFGS iterations, as on IMDB. Deterministic; standard library only.

  python3 make_reviews.py OUT.csv [DOCS=50000]
"""
import bisect
import csv
import itertools
import math
import random
import sys

VOCABULARY = 80_000
OPINION = 3_000
OPINION_SHARE = 0.08
FLIPPED = 0.08


def main():
    out = sys.argv[1]
    n_docs = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    rng = random.Random(12)
    words = [f"w{i:x}" for i in range(VOCABULARY)]
    # Zipf-like background: cumulative weights for bisect sampling.
    background = list(itertools.accumulate(1 / (r + 10) ** 1.05 for r in range(VOCABULARY)))
    polarity = [rng.uniform(-1, 1) for _ in range(OPINION)]
    opinion_words = [f"op{i:x}" for i in range(OPINION)]
    opinion_rank = list(itertools.accumulate(1 / (r + 5) for r in range(OPINION)))
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["text", "label"])
        for d in range(n_docs):
            sentiment = 1 if d % 2 == 0 else -1
            length = max(10, int(rng.lognormvariate(math.log(170), 0.75)))
            tokens = []
            for _ in range(length):
                if rng.random() < OPINION_SHARE:
                    # An opinion word, kept with a probability that leans towards the sentiment.
                    while True:
                        i = bisect.bisect(opinion_rank, rng.random() * opinion_rank[-1])
                        if rng.random() < 0.5 + 0.45 * sentiment * polarity[i]:
                            break
                    tokens.append(opinion_words[i])
                else:
                    tokens.append(words[bisect.bisect(background, rng.random() * background[-1])])
            label = sentiment if rng.random() >= FLIPPED else -sentiment
            writer.writerow([" ".join(tokens), "pos" if label == 1 else "neg"])


if __name__ == "__main__":
    main()
