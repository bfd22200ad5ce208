"""jwcrypto's verdict on a token minted by bindings/jvm/Mint.java.

    python check_token.py TOKEN_FILE CLIENT_PUB_PEM PLATFORM_KEY_PEM SUB SSO_TOKEN_FILE

Verifies the RS256 signature and the iss, aud and exp claims with jwcrypto,
decrypts `user_payload` (a compact JWE, RSA-OAEP-256 + A256GCM) with the
platform's private key, and exits non-zero unless `sub`, `context` and the
sso_token are the expected ones. Run by tests/steps/50-bindings.sh.
"""

import json
import sys
from pathlib import Path

from jwcrypto import jwe, jwk, jwt


def main() -> None:
    token_file, client_pub, platform_key, sub, sso_file = sys.argv[1:]
    token = Path(token_file).read_text().strip()
    verifying = jwk.JWK.from_pem(Path(client_pub).read_bytes())
    decrypting = jwk.JWK.from_pem(Path(platform_key).read_bytes())

    checked = jwt.JWT(
        jwt=token,
        key=verifying,
        algs=["RS256"],
        check_claims={"iss": "https://host.example", "aud": "chat-platform", "exp": None, "sub": sub},
    )
    claims = json.loads(checked.claims)
    assert claims["context"] == {"email": "ada@example.com"}, claims

    envelope = jwe.JWE(algs=["RSA-OAEP-256", "A256GCM"])
    envelope.deserialize(claims["user_payload"], key=decrypting)
    sso = json.loads(envelope.payload)["sso_token"]
    assert sso == Path(sso_file).read_text().strip(), "the sso_token differs"
    print(f"jwcrypto: Mint.java's token verifies (sub {claims['sub']}) and its sso_token decrypts")


if __name__ == "__main__":
    main()
