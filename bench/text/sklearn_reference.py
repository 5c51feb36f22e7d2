#!/usr/bin/env python3
"""scikit-learn side of the text benchmark (bench/text/run.mjs calls it).

Reads the split that `mlp text prepare` wrote (train.csv, test.csv) so both tools see the same
rows, runs TfidfVectorizer + LogisticRegression(max_iter=1000) with the named config, and
prints one JSON object: scores, vocabulary size, wall times and peak RSS.

  python3 sklearn_reference.py DATA_DIR default|bi50k [--max-iter N] [--rule 1.2|1.4]

--rule 1.4 fits as scikit-learn >= 1.4 does (PR #26721) whatever the installed version: the mean
log-loss plus ||w||^2 / (2 C n), minimised by scipy's L-BFGS-B with gtol = tol, ftol = 64 eps and
maxls = 50 (Debian 12 ships 1.2.1, which minimises the summed loss with scipy's defaults). Same
minimiser, different stopping point: this is the rule mlp follows.
"""
import argparse
import csv
import json
import resource
import sys
import time

import numpy as np
from scipy import optimize

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

CONFIGS = {
    "default": {},
    "bi50k": {"max_features": 50000, "ngram_range": (1, 2), "sublinear_tf": True},
}


def read_split(path):
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t, l = header.index("text"), header.index("label")
    return [r[t] for r in body], [r[l] for r in body]


class Modern:
    """LogisticRegression(solver="lbfgs") as scikit-learn >= 1.4 fits it (C = 1, tol = 1e-4)."""

    def __init__(self, max_iter, C=1.0, tol=1e-4):
        self.max_iter, self.C, self.tol = max_iter, C, tol

    def fit(self, X, y):
        from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
        from sklearn.linear_model._linear_loss import LinearModelLoss

        self.classes_, target = np.unique(y, return_inverse=True)
        n, k = X.shape[0], len(self.classes_)
        if k == 2:
            loss = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
            w0 = np.zeros(X.shape[1] + 1)
        else:
            loss = LinearModelLoss(base_loss=HalfMultinomialLoss(n_classes=k), fit_intercept=True)
            w0 = np.zeros((k, X.shape[1] + 1), order="F").ravel(order="F")
        # 1.2.1's LinearModelLoss sums sample_weight * loss: weights 1/n give the mean.
        sample_weight = np.full(n, 1.0 / n)
        result = optimize.minimize(
            loss.loss_gradient, w0, method="L-BFGS-B", jac=True,
            args=(X, target.astype(np.float64), sample_weight, 1.0 / (self.C * n), 1),
            options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
        )
        self.n_iter_ = [min(result.nit, self.max_iter)]
        self.converged_ = result.status == 0
        self.loss_ = float(result.fun)
        coef = result.x.reshape((k, -1), order="F") if k > 2 else result.x[None, :]
        self.coef_, self.intercept_ = coef[:, :-1], coef[:, -1]
        return self

    def predict(self, X):
        scores = X @ self.coef_.T + self.intercept_
        index = (scores[:, 0] > 0).astype(int) if scores.shape[1] == 1 else scores.argmax(axis=1)
        return self.classes_[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("config")
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--rule", choices=["1.2", "1.4"], default="1.2")
    args = parser.parse_args()
    data_dir, config = args.data_dir, args.config
    x_train, y_train = read_split(f"{data_dir}/train.csv")
    x_test, y_test = read_split(f"{data_dir}/test.csv")

    t0 = time.perf_counter()
    vectorizer = TfidfVectorizer(**CONFIGS[config])
    a = vectorizer.fit_transform(x_train)
    b = vectorizer.transform(x_test)
    t1 = time.perf_counter()
    model = (Modern(args.max_iter) if args.rule == "1.4" else LogisticRegression(max_iter=args.max_iter)).fit(a, y_train)
    t2 = time.perf_counter()
    predicted = model.predict(b)
    t3 = time.perf_counter()

    print(json.dumps({
        "vocab": len(vectorizer.vocabulary_),
        "accuracy": accuracy_score(y_test, predicted),
        "f1_macro": f1_score(y_test, predicted, average="macro"),
        "f1_weighted": f1_score(y_test, predicted, average="weighted"),
        "iterations": int(max(model.n_iter_)),
        **({"converged": model.converged_, "loss": model.loss_} if args.rule == "1.4" else {}),
        "vectorize_seconds": t1 - t0,
        "train_seconds": t2 - t1,
        "predict_seconds": t3 - t2,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
