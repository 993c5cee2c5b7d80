"""Divergences, entropies and mutual information estimated from samples.

Every public function goes through one path (:func:`divergences.estimate._pipeline.run`): the
samples are checked, repeated values are resolved by one tie policy (``ties=``), the method in
the table :data:`divergences.estimate._methods.METHODS` computes the value in nats, and the
result is clipped, converted to the unit of ``base`` and, with ``ci=``, wrapped in a bootstrap
:class:`Estimate`. :func:`test` gives a permutation p-value for any of the two-sample estimates.

Methods
-------
- ``"knn"``: k-nearest neighbours (Kozachenko-Leonenko entropy, Wang-Kulkarni-Verdu KL,
  JS from three k-NN entropies); ``"knn_adaptive"``: WKV with adaptive neighbour counts;
  ``"knn_weighted"``: entropy and KL as weighted ensembles of the k-NN estimates at
  k = 1, ..., 32, the weights cancelling the leading bias terms up to the noise they add
  (Berrett, Samworth and Yuan 2019; Moon, Sricharan, Greenewald and Hero 2018): KL in 5-10
  dimensions, entropy in 20 (``method="auto"`` picks it where it measured best).
- ``"kde"``: plug-in of Gaussian kernel density estimates.
- ``"histogram"``: plug-in of counts on common bins.
- ``"ksg"``, ``"ksg2"``: Kraskov-Stoegbauer-Grassberger mutual information, algorithms 1 and 2;
  ``"mixed"``: Ross (2014) for a continuous x and a discrete y.
- ``"plugin"``, ``"miller_madow"``, ``"chao_shen"``, ``"grassberger"``, ``"nsb"``: entropy of
  discrete samples; ``"discrete"``: KL, JS or mutual information of discrete samples by plug-in.

Modules
-------
- ``_api``: the public functions and their documentation;
- ``_pipeline``: the path from samples to a value, an interval or a fallback;
- ``_methods``: the method table (estimator, options, sample kind, resampling scheme);
- ``_samples``: sample checks and the tie policy; ``_uncertainty``: bootstrap and permutation tests;
- ``_knn``, ``_kde``, ``_histogram``, ``_discrete``, ``_mutual``, ``_neighbours``: the estimators;
  ``_ensemble``: the bias-cancelling weights of ``"knn_weighted"``.
"""

from ._api import entropy, js, kl, mutual_information, test
from ._methods import DISCRETE_ENTROPY as DISCRETE_ENTROPY
from ._methods import resampling_scheme as resampling_scheme
from ._uncertainty import Estimate, TestResult

__all__ = ["Estimate", "TestResult", "entropy", "js", "kl", "mutual_information", "test"]
