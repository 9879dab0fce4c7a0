"""A security key in software, for tests of the WebAuthn pages without a browser.

It answers the options allauth puts on the page the way a USB key and the browser
together would (WebAuthn level 2): a "none" attestation of a new P-256 credential when
added, and a signature over the authenticator data and the client data when asked to sign
in. The browser tests use Chromium's virtual authenticator instead
(tests/ewers/test_security_keys_browser.py).
"""

from __future__ import annotations

import json
import os
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticationResponse,
    AuthenticatorAssertionResponse,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

# The test client's requests name this host, so it is the relying party; http://localhost
# is a secure context, which WebAuthn requires (an origin over plain HTTP elsewhere is not).
HOST = "localhost"
ORIGIN = f"http://{HOST}"


class SoftKey:
    """One credential on one key; ``counter`` rises with each signature, as a key's does."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0

    def register(self, creation_options: dict[str, Any], origin: str = ORIGIN) -> str:
        """The JSON the add-a-key form sends for ``creation_options`` (allauth's js_data)."""
        options = creation_options["publicKey"]
        public_key = ES256.from_cryptography_key(self.private.public_key())
        credential = AttestedCredentialData.create(b"\0" * 16, self.credential_id, public_key)
        flags = AuthenticatorData.FLAG.UP | AuthenticatorData.FLAG.AT
        auth_data = AuthenticatorData.create(sha256(options["rp"]["id"].encode()).digest(), flags, 0, credential)
        client_data = CollectedClientData.create("webauthn.create", options["challenge"], origin)
        response = RegistrationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAttestationResponse(
                client_data=client_data,
                attestation_object=AttestationObject.create("none", auth_data, {}),
            ),
        )
        return json.dumps(dict(response))

    def sign(self, request_options: dict[str, Any], origin: str = ORIGIN) -> str:
        """The JSON the sign-in form sends for ``request_options`` (allauth's js_data)."""
        options = request_options["publicKey"]
        self.counter += 1
        auth_data = AuthenticatorData.create(
            sha256(options["rpId"].encode()).digest(), AuthenticatorData.FLAG.UP, self.counter
        )
        client_data = CollectedClientData.create("webauthn.get", options["challenge"], origin)
        signature = self.private.sign(auth_data + client_data.hash, ec.ECDSA(hashes.SHA256()))
        response = AuthenticationResponse(
            raw_id=self.credential_id,
            response=AuthenticatorAssertionResponse(
                client_data=client_data, authenticator_data=auth_data, signature=signature
            ),
        )
        return json.dumps(dict(response))
