// Java against the jar, run by tests/steps/50-bindings.sh: every entry of
// bindings/jvm/Chatseal.kt (the calls Java could not make on the generated
// API) on the real library, and the generated API's errors as Java sees
// them. Exits non-zero (an uncaught exception) when anything is off.
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import uniffi.chatseal.*;

public class JavaSmoke {
    interface Call {
        void run() throws Exception;
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    public static void main(String[] args) throws Exception {
        var es = Chatseal.generateClientKey(Algorithm.ES256, null);
        var rsa = Chatseal.generateClientKey(Algorithm.RS256, 2048);
        check(rsa.publicPem().length() > 400 && es.publicPem().length() < 200, "key generation");
        var platform = Chatseal.generatePlatformKey(2048);

        var issuer = Chatseal.issuer(rsa, "https://host.example", "chat", 600, platform.encryptionKey(), PayloadFormat.JWE, false);
        var verifier = Chatseal.verifier(List.of(rsa.verifyingKey(), es.verifyingKey()), List.of("https://host.example"),
                List.of("chat"), false, false, List.of(Algorithm.RS256, Algorithm.ES256), 60, 3600L, 16384L, false,
                List.of(platform), null);
        var v = verifier.verify(issuer.mint("user-7", "{\"n\":1}", "sso-7", null));
        check(v.subject().equals("user-7") && "sso-7".equals(v.ssoToken()), "RS256 round trip");
        var esIssuer = Chatseal.issuer(es, "https://host.example", "chat", 60, null, null, false);
        check(verifier.verify(esIssuer.mint("user-8", null, null, null)).subject().equals("user-8"), "ES256 round trip");

        // The verifier's limits arrive: a 600-second token is over a 300-second maxLifetime.
        var strict = Chatseal.verifier(List.of(rsa.verifyingKey()), List.of("https://host.example"), List.of("chat"),
                false, false, null, 0, 300L, null, false, List.of(), null);
        try {
            strict.verify(issuer.mint("user-7", null, null, null));
            throw new AssertionError("a 600 s token passed a 300 s maxLifetime");
        } catch (ChatsealException.ClaimRejected e) {
            check(!e.getCode().isEmpty() && !e.getReason().isEmpty(), "ClaimRejected carries code and reason");
        }

        // Errors: the generated subclasses, with the Rust code.
        try {
            verifier.verify("not-a-token");
            throw new AssertionError("a malformed token verified");
        } catch (ChatsealException.MalformedToken e) {
            check(e.getCode().equals("malformed_token"), "code " + e.getCode());
        }
        // A TTL over the cap is Rust's refusal; a negative one never reaches Rust.
        try {
            Chatseal.issuer(rsa, "i", "a", 100_000, null, null, false);
            throw new AssertionError("a 100000 s TTL was accepted without allowLongTtl");
        } catch (ChatsealException e) {
            check(!e.getMessage().isEmpty(), "message");
        }
        for (Call negative : List.<Call>of(
                () -> Chatseal.issuer(rsa, "i", "a", -1, null, null, false),
                () -> Chatseal.generatePlatformKey(-2048),
                () -> Chatseal.generateClientKey(Algorithm.RS256, -1))) {
            try {
                negative.run();
                throw new AssertionError("a negative number was accepted");
            } catch (IllegalArgumentException e) {
                check(e.getMessage().contains("must not be negative"), e.getMessage());
            }
        }

        // A keyring: init, then rotate a pending key in.
        var dir = Files.createTempDirectory("chatseal-java");
        try {
            var ring = Chatseal.initKeyring(dir.resolve("client").toString(), KeyAlgorithm.RS256, 2048, 7200L, null, null);
            var active = ring.active();
            var next = Chatseal.rotate(ring, 2048, false, null);
            check(next.getState() == KeyState.PENDING && !next.getKid().equals(active.getKid()), "rotate");
            check(ring.active().getKid().equals(active.getKid()), "the active key stays until promoted");
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.println("java smoke: ok (every Chatseal entry, limits, errors, keyring)");
    }
}
