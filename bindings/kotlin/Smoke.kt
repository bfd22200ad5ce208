// Kotlin smoke test of the generated bindings, compiled by
// tests/steps/50-bindings.sh against the jar (bindings/jvm/build.sh) and run
// with it on the class path: the native library is loaded from the jar.
// Exits non-zero (an uncaught exception or check failure) when anything is off.

import uniffi.chatseal.Algorithm
import uniffi.chatseal.ChatsealException
import uniffi.chatseal.ClientSigningKey
import uniffi.chatseal.Issuer
import uniffi.chatseal.PlatformDecryptionKey
import uniffi.chatseal.Verifier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

fun main() {
    val client = ClientSigningKey.generate(Algorithm.ES256)
    val platform = PlatformDecryptionKey.generate(2048u)
    val issuer = Issuer(client, "https://host.example", "chat", platformKey = platform.encryptionKey())
    val verifier = Verifier(
        listOf(client.verifyingKey()),
        listOf("https://host.example"),
        listOf("chat"),
        decryptionKeys = listOf(platform),
    )

    // JSON objects are JSON text in Kotlin (a dict in Python).
    val token = issuer.mint("user-42", context = """{"name":"Ada"}""", ssoToken = "idp-ü-東京")
    val v = verifier.verify(token)
    check(v.subject() == "user-42") { "subject: ${v.subject()}" }
    check(v.ssoToken() == "idp-ü-東京") { "sso_token did not round-trip" }
    check(v.context() == """{"name":"Ada"}""") { "context: ${v.context()}" }
    check(!v.toString().contains("idp-ü")) { "toString leaks the sso_token" }

    // Error mapping: each kind arrives as its own subclass with code and reason.
    try {
        verifier.verify("not-a-token")
        error("a malformed token verified")
    } catch (e: ChatsealException.MalformedToken) {
        check(e.code == "malformed_token") { "code: ${e.code}" }
        check(e.reason.isNotEmpty())
    }
    val other = Verifier(listOf(client.verifyingKey()), listOf("https://host.example"), listOf("someone-else"))
    try {
        other.verify(token)
        error("a token for another audience verified")
    } catch (e: ChatsealException.ClaimRejected) {
        check(e.code == "invalid_audience") { "code: ${e.code}" }
    }
    try {
        Issuer(client, "i", "a").mint("u", ssoToken = "x")
        error("an sso_token was minted without a platform key")
    } catch (e: ChatsealException.ApiMisuse) {
        check(e.code == "api_misuse")
    }

    // One issuer from 8 threads.
    val pool = Executors.newFixedThreadPool(8)
    val jobs = (0 until 8).map { n ->
        pool.submit<String> { verifier.verify(issuer.mint("user-$n", ssoToken = "s$n")).ssoToken() }
    }
    val got = jobs.map { it.get(60, TimeUnit.SECONDS) }
    pool.shutdown()
    check(got == (0 until 8).map { "s$it" }) { "threads: $got" }

    println("kotlin smoke: ok (mint, verify, sso_token, errors, 8 threads)")
}
