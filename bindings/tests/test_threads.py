"""One Issuer and one Verifier shared by 8 Python threads at once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import chatseal

THREADS = 8
PER_THREAD = 25


def test_mint_and_verify_from_8_threads(issuer, verifier):
    start = threading.Barrier(THREADS)

    def work(n: int) -> list:
        start.wait()  # every thread enters the library at the same moment
        out = []
        for i in range(PER_THREAD):
            sub = f"user-{n}-{i}"
            token = issuer.mint(sub, sso_token=f"sso-{n}-{i}", context={"thread": n})
            v = verifier.verify(token)
            assert v.subject() == sub
            assert v.sso_token() == f"sso-{n}-{i}"
            assert v.context() == {"thread": n}
            out.append(v.claims()["jti"])
        return out

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))

    jtis = [j for r in results for j in r]
    assert len(jtis) == THREADS * PER_THREAD
    assert len(set(jtis)) == len(jtis), "every token has its own jti"


def test_objects_built_in_one_thread_used_in_others(client_key):
    # Keys and issuers are Send + Sync: build here, use there.
    holder = {}

    def build():
        holder["issuer"] = chatseal.Issuer(client_key, issuer="i", audience="a")

    t = threading.Thread(target=build)
    t.start()
    t.join()
    token = holder["issuer"].mint("u")
    verifier = chatseal.Verifier([client_key.verifying_key()], issuers=["i"], audiences=["a"])
    assert verifier.verify(token).subject() == "u"
