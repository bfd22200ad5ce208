// Java's way into the generated Kotlin API (package uniffi.chatseal), for the
// calls that take unsigned numbers. Kotlin's UInt/ULong have no Java type, and
// the Kotlin compiler hides every function or constructor that takes one from
// Java (its JVM name is mangled), so Java could not build an Issuer (ttl is a
// ULong) or a Verifier (leeway) at all. Each function here takes Java's
// signed `long`/`int` (or `null` where the generated one takes null), refuses
// a negative value with IllegalArgumentException, and calls the generated
// function with the same arguments in the same order: no default, no logic of
// its own. Kotlin callers use the generated API directly.
//
// Compiled into the jar by bindings/jvm/build.sh, beside the generated code.

package uniffi.chatseal

/** Static entry points for Java where the generated API takes unsigned numbers. */
object Chatseal {
    /** `new Issuer(...)`: the generated constructor, with `ttlSeconds` as a `long`. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun issuer(
        key: ClientSigningKey,
        issuer: String?,
        audience: String?,
        ttlSeconds: Long,
        platformKey: PlatformEncryptionKey?,
        payloadFormat: PayloadFormat?,
        allowLongTtl: Boolean,
    ): Issuer = Issuer(key, issuer, audience, u64(ttlSeconds, "ttlSeconds"), platformKey, payloadFormat, allowLongTtl)

    /** `new Verifier(...)`: the generated constructor, with the seconds and the size as `long`s. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun verifier(
        keys: List<ClientVerifyingKey>,
        issuers: List<String>,
        audiences: List<String>,
        dangerousSkipIssuerCheck: Boolean,
        dangerousSkipAudienceCheck: Boolean,
        algorithms: List<Algorithm>?,
        leewaySeconds: Long,
        maxLifetimeSeconds: Long?,
        maxTokenSize: Long?,
        allowMissingSubject: Boolean,
        decryptionKeys: List<PlatformDecryptionKey>,
        payloadFormat: PayloadFormat?,
    ): Verifier = Verifier(
        keys, issuers, audiences, dangerousSkipIssuerCheck, dangerousSkipAudienceCheck, algorithms,
        u64(leewaySeconds, "leewaySeconds"), maxLifetimeSeconds?.let { u64(it, "maxLifetimeSeconds") },
        maxTokenSize?.let { u64(it, "maxTokenSize") }, allowMissingSubject, decryptionKeys, payloadFormat,
    )

    /** `ClientSigningKey.generate(algorithm, rsaBits)`, `rsaBits` an `Integer` or `null`. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun generateClientKey(algorithm: Algorithm, rsaBits: Int?): ClientSigningKey =
        ClientSigningKey.generate(algorithm, rsaBits?.let { u32(it, "rsaBits") })

    /** `PlatformDecryptionKey.generate(bits)`: an RSA platform key of `bits` bits. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun generatePlatformKey(bits: Int): PlatformDecryptionKey = PlatformDecryptionKey.generate(u32(bits, "bits"))

    /** `Keyring.init(...)`, with `rsaBits` and `graceSeconds` as `Integer`/`Long` or `null`. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun initKeyring(
        dir: String,
        algorithm: KeyAlgorithm,
        rsaBits: Int?,
        graceSeconds: Long?,
        passphrase: String?,
        ecdhCurve: EcdhCurve?,
    ): Keyring = Keyring.init(
        dir, algorithm, rsaBits?.let { u32(it, "rsaBits") }, graceSeconds?.let { u64(it, "graceSeconds") },
        passphrase, ecdhCurve,
    )

    /** `keyring.rotate(rsaBits, activate, passphrase)`, `rsaBits` an `Integer` or `null`. */
    @JvmStatic
    @Throws(ChatsealException::class)
    fun rotate(keyring: Keyring, rsaBits: Int?, activate: Boolean, passphrase: String?): KeyInfo =
        keyring.rotate(rsaBits?.let { u32(it, "rsaBits") }, activate, passphrase)

    private fun u64(value: Long, name: String): ULong {
        require(value >= 0) { "$name must not be negative (got $value)" }
        return value.toULong()
    }

    private fun u32(value: Int, name: String): UInt {
        require(value >= 0) { "$name must not be negative (got $value)" }
        return value.toUInt()
    }
}
