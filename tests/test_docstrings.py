"""The examples in the public docstrings run and print what they say."""
import doctest

import pytest

import oneproxy.adaptation
import oneproxy.correlation
import oneproxy.datasets
import oneproxy.export
import oneproxy.objectives
import oneproxy.pareto
import oneproxy.predictors
import oneproxy.scan
import oneproxy.search
import oneproxy.spaces
import oneproxy.workflow


@pytest.mark.parametrize("module", [oneproxy.correlation, oneproxy.datasets, oneproxy.pareto,
                                    oneproxy.spaces, oneproxy.predictors, oneproxy.adaptation,
                                    oneproxy.workflow, oneproxy.scan, oneproxy.search,
                                    oneproxy.export, oneproxy.objectives])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
