import { jsAlgebra } from '../../../../stages/text/solver/linear-algebra.js';
import { logisticObjective, parameterCount } from '../../../../stages/text/solver/logistic-objective.js';
import {
  argmaxRows,
  fitLogisticRegression,
  predictProbabilities,
} from '../../../../stages/text/solver/logistic-regression.js';
import { defaultTextParams } from '../../../../stages/text/params.js';
import { fitTfidf } from '../../../../stages/text/features/vectorizer.js';
import { randomCsr, randomLabels } from './fixtures.js';

// A tiny sentiment corpus; expected values from scikit-learn's lbfgs as ≥ 1.4 runs it (mean loss,
// ftol = 64 eps, maxls = 50; `bench/text/sklearn_reference.py --rule 1.4` on 1.2.1):
// LogisticRegression(tol=1e-10, max_iter=10000[, C=0.5]).fit(TfidfVectorizer().fit_transform(docs), y).
// That rule stops on the relative decrease of f about 1e-5 short of the exact optimum, which
// scikit-learn 1.2.1 (summed loss) reached: both are checked, to their own precision.
const docs = [
  'good great fun',
  'great film good',
  'bad awful boring',
  'boring bad plot',
  'fun plot great',
  'awful film bad',
  'good fun',
  'bad boring',
];
const X = fitTfidf(docs, defaultTextParams().tfidf).matrix; // columns: awful bad boring film fun good great plot
const tight = { C: 1, fitIntercept: true, maxIter: 10000, tol: 1e-10 };

describe('fitLogisticRegression reproduces scikit-learn', () => {
  test('binary: one weight vector for the second class', () => {
    const y = Int32Array.from([1, 1, 0, 0, 1, 0, 1, 0]); // neg = 0, pos = 1
    const { model, info } = fitLogisticRegression(X, y, 2, tight);
    expect(model.columns).toBe(1);
    const sklearn = [
      -0.4121208992154222, -0.6763862992248585, -0.5768662412098605, -0.002980453051513751, 0.5672125669511141,
      0.5672733036504091, 0.5417924522272246, -0.002158985723194352,
    ];
    Array.from(model.coef).forEach((w, j) => expect(w).toBeCloseTo(sklearn[j]!, 6));
    expect(model.intercept[0]).toBeCloseTo(0.009692903854874198, 6);
    expect(info.converged).toBe(true);
    expect(info.iterations).toBe(11); // as scikit-learn's n_iter_
    const exact = [
      -0.41212882615082086, -0.676386259084905, -0.5768674375785445, -0.0029844364167102397, 0.567211878585594,
      0.567271231262628, 0.5417941769994357, -0.002152499979436086,
    ];
    Array.from(model.coef).forEach((w, j) => expect(w).toBeCloseTo(exact[j]!, 4));
  });

  test('multinomial: one weight vector per class, C = 0.5', () => {
    const y = Int32Array.from([0, 0, 1, 1, 2, 1, 2, 0]); // a b c
    const { model, info } = fitLogisticRegression(X, y, 3, { ...tight, C: 0.5 });
    expect([info.converged, info.iterations]).toEqual([true, 13]); // as scikit-learn's n_iter_
    const sklearn = [
      [-0.2034516258923388, -0.026314590809254305, 0.05676519843937718, 0.06710045189247964, -0.07852870332056477,
        0.1639819516634551, 0.2081887304883725, -0.2198986053783075],
      [0.3196423886965009, 0.22940211817395853, 0.1250142523639156, 0.06657765812200175, -0.24493429148463922,
        -0.2410729002616305, -0.23154655386253772, 0.08252625774178282],
      [-0.1161907628041621, -0.20308752736470417, -0.18177945080329275, -0.13367811001448146, 0.32346299480520396,
        0.07709094859817532, 0.023357823374165143, 0.1373723476365247],
    ];
    sklearn.forEach((row, k) => row.forEach((w, j) => expect(model.coef[j * 3 + k]).toBeCloseTo(w, 6)));
    [0.14142787977749186, 0.11732377271275728, -0.2587516524902492].forEach((b, k) =>
      expect(model.intercept[k]).toBeCloseTo(b, 6),
    );
    const probabilities = predictProbabilities(model, X);
    const sklearnProba = [
      [0.4411050861535459, 0.24017429931167925, 0.31872061453477485],
      [0.4709409501978854, 0.2895282580766004, 0.23953079172551414],
    ];
    sklearnProba.forEach((row, i) => row.forEach((p, k) => expect(probabilities[i * 3 + k]).toBeCloseTo(p, 6)));
    const exact = [
      [-0.20346140312306207, -0.02632335001799267, 0.056754304887393296, 0.06708669122812097, -0.07853939382707599,
        0.16395890730707086, 0.20818421515249536, -0.21990809195238312],
      [0.319651460321621, 0.22941824002505476, 0.1250331105336736, 0.06658242457266557, -0.24492591569645134,
        -0.2410501831801824, -0.23153757002832484, 0.08254069310023508],
      [-0.11619005719855902, -0.20309489000706213, -0.18178741542106686, -0.13366911580078655, 0.3234653095235273,
        0.07709127587311151, 0.023353354875829492, 0.13736739885214805],
    ];
    exact.forEach((row, k) => row.forEach((w, j) => expect(model.coef[j * 3 + k]).toBeCloseTo(w, 4)));
  });
});

describe('convergence', () => {
  test('stops with the largest gradient component ≤ tol, below the loss at zero', () => {
    const Xr = randomCsr(300, 80, 0.1, 1);
    const y = randomLabels(300, 4, 2);
    const params = { C: 1, fitIntercept: true, maxIter: 1000, tol: 1e-2 };
    const { model, info } = fitLogisticRegression(Xr, y, 4, params);
    expect(info.converged).toBe(true);
    const problem = { X: Xr, y, nClasses: 4, C: 1, fitIntercept: true };
    const fg = logisticObjective(problem);
    const x = new Float64Array(parameterCount(problem));
    for (let j = 0; j < Xr.cols; j++) for (let k = 0; k < 4; k++) x[j * 4 + k] = model.coef[j * 4 + k]!;
    x.set(model.intercept, Xr.cols * 4);
    const g = new Float64Array(x.length);
    const f = fg(x, g);
    expect(f).toBeCloseTo(info.loss, 8);
    expect(info.stopReason).toBe('gradient');
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(1e-2);
    expect(info.gradientMax).toBe(Math.max(...g.map(Math.abs)));
    expect(f).toBeLessThan(fg(new Float64Array(x.length), g));
  });

  test('separable classes are learned; max_iter caps the work and is reported', () => {
    const y = Int32Array.from([1, 1, 0, 0, 1, 0, 1, 0]);
    const { model } = fitLogisticRegression(X, y, 2, { ...tight, C: 100 });
    expect(Array.from(argmaxRows(predictProbabilities(model, X), 2))).toEqual(Array.from(y));
    const capped = fitLogisticRegression(X, y, 2, { ...tight, C: 100, maxIter: 2 });
    expect(capped.info.converged).toBe(false);
    expect(capped.info.iterations).toBe(2);
  });

  test('wasm and JS kernels give the same model bit for bit', () => {
    const Xr = randomCsr(200, 50, 0.1, 5);
    const y = randomLabels(200, 3, 6);
    const params = { C: 1, fitIntercept: true, maxIter: 100, tol: 1e-4 };
    const wasm = fitLogisticRegression(Xr, y, 3, params);
    const js = fitLogisticRegression(Xr, y, 3, params, { algebra: jsAlgebra });
    expect(wasm.info.kernels).toBe('wasm');
    expect(js.info.kernels).toBe('js');
    expect(Array.from(wasm.model.coef)).toEqual(Array.from(js.model.coef));
    expect(wasm.info.iterations).toBe(js.info.iterations);
  });
});
