"""scikit-learn's own estimator checks on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from backprop import MLPClassifier, MLPRegressor

# Checks that are expected to fail, and why. Keep this list short and true:
# each entry is re-verified by sklearn (an expected failure that passes is
# reported as XPASS, not hidden).
EXPECTED_FAILED = {}


def _expected(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [MLPClassifier(max_iter=300), MLPRegressor(max_iter=300)],
    expected_failed_checks=_expected,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
