"""The two ways harness.backends.prefix_attention attends a shared prefix (`grouped`: scores as
GEMMs; `cascade`: two flash-kernel calls joined by log-sum-exps) against attention written out
plainly over the prefix copied into every row, on left-padded rows like a prefill pass's."""
import torch

from harness.backends.prefix_attention import cascade, grouped


def _reference(q, k, v, allowed, pk, pv, scale):
    b, h, n, d = q.shape
    g = h // k.shape[1]
    keys = torch.cat([pk.expand(b, -1, -1, -1), k], 2).repeat_interleave(g, 1)
    vals = torch.cat([pv.expand(b, -1, -1, -1), v], 2).repeat_interleave(g, 1)
    see = torch.cat([allowed.new_ones(b, 1, n, pk.shape[2]), allowed], -1)
    s = (q @ keys.transpose(-1, -2) * scale).masked_fill(~see, float("-inf"))
    return torch.softmax(s, -1) @ vals


def test_cascade_and_grouped_equal_plain_attention_over_a_copied_prefix():
    torch.manual_seed(0)
    b, h, kvh, n, d, p = 5, 9, 3, 7, 64, 11
    q = torch.randn(b, h, n, d)
    k, v = torch.randn(b, kvh, n, d), torch.randn(b, kvh, n, d)
    pk, pv = torch.randn(1, kvh, p, d), torch.randn(1, kvh, p, d)
    pad = torch.tensor([0, 2, 6, 1, 3])                              # left padding per row
    own = torch.arange(n)[None, :] >= pad[:, None]                   # [b, slots]
    allowed = own[:, None, None, :] & torch.ones(n, n, dtype=torch.bool).tril()
    mask_add = torch.zeros(allowed.shape).masked_fill_(~allowed, float("-inf"))
    want = _reference(q, k, v, allowed, pk, pv, 0.125)
    real = own[:, None, :, None]                                     # queries of real tokens
    got_c = cascade(q, k, v, mask_add, pk, pv, 0.125, ~allowed.any(-1))
    got_g = grouped(q, k, v, mask_add, pk[0], pv[0], 0.125)
    for got in (got_c, got_g):
        assert torch.isfinite(got).all()
        assert ((got - want).abs() * real).max() < 1e-5
    # a padding query sees the prefix alone, as in `grouped` (not a 0 from the own half)
    assert (got_c - got_g).abs().max() < 1e-5
