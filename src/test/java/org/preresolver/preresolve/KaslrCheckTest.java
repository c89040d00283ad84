package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.Elf;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelIdentity;

/** The KASLR decision for each kind of kernel: plain, anchor, or refused, and what is said. */
class KaslrCheckTest {
    private static final Optional<KernelConfig> RANDOMISES =
            Optional.of(KernelConfig.parse("CONFIG_RANDOMIZE_BASE=y\n", "config-test"));
    private static final Optional<KernelConfig> FIXED =
            Optional.of(KernelConfig.parse("# CONFIG_RANDOMIZE_BASE is not set\n", "config-test"));

    private static KernelIdentity kernel(int machine) {
        return new KernelIdentity(machine, true, ByteOrder.LITTLE_ENDIAN, "6.1.0-test", "");
    }

    @Test
    void aKernelThatDoesNotMoveIsPlainWithNothingToSay() throws Exception {
        KaslrCheck.Decision d = KaslrCheck.decide(kernel(Elf.EM_X86_64), FIXED, "", false);
        assertThat(d.mode()).isEqualTo(Options.Mode.PLAIN);
        assertThat(d.warning()).isEmpty();
    }

    @Test
    void aRandomisingX8664KernelIsAnchoredWithoutAWord() throws Exception {
        KaslrCheck.Decision d = KaslrCheck.decide(kernel(Elf.EM_X86_64), RANDOMISES, "", false);
        assertThat(d.mode()).isEqualTo(Options.Mode.ANCHOR);
        assertThat(d.warning()).isEmpty();
        // Unknown configuration: anchor mode is right whether or not it moves.
        assertThat(KaslrCheck.decide(kernel(Elf.EM_X86_64), Optional.empty(), "no config", false).mode())
                .isEqualTo(Options.Mode.ANCHOR);
    }

    @Test
    void assumeNokaslrIsPlainAndWarnsLoudly() throws Exception {
        KaslrCheck.Decision d = KaslrCheck.decide(kernel(Elf.EM_X86_64), RANDOMISES, "", true);
        assertThat(d.mode()).isEqualTo(Options.Mode.PLAIN);
        assertThat(d.warning()).hasValueSatisfying(w -> assertThat(w).startsWith("WARNING:").contains("ONLY")
                .contains("'nokaslr'").contains("anchor mode"));
    }

    @Test
    void whereAnchorModeIsNotProvenARandomisingKernelIsRefused() {
        assertThatThrownBy(() -> KaslrCheck.decide(kernel(Elf.EM_S390), RANDOMISES, "", false))
                .isInstanceOf(RefusedException.class)
                .hasMessageContaining("CONFIG_RANDOMIZE_BASE=y").hasMessageContaining("anchor mode is not proven")
                .hasMessageContaining("--assume-nokaslr")
                .satisfies(e -> assertThat(((RefusedException) e).kind()).isEqualTo(RefusedException.Kind.KASLR));
        assertThatThrownBy(() -> KaslrCheck.decide(kernel(Elf.EM_S390), Optional.empty(), "no --config given", false))
                .isInstanceOf(RefusedException.class).hasMessageContaining("cannot tell")
                .hasMessageContaining("no --config given").hasMessageContaining("--config FILE");
    }

    @Test
    void architecturesWithoutKaslrAreAlwaysPlain() throws Exception {
        assertThat(KaslrCheck.decide(kernel(Elf.EM_SH), Optional.empty(), "", false).mode())
                .isEqualTo(Options.Mode.PLAIN);
        assertThat(KaslrCheck.decide(kernel(Elf.EM_ARM), Optional.empty(), "", false).warning()).isEmpty();
    }

    /** Exports from Module.symvers + kallsyms: no machine in the identity; the config's architecture decides. */
    @Test
    void textFileExportsTakeTheMachineFromTheConfig() throws Exception {
        Optional<KernelConfig> arm64 = Optional.of(KernelConfig.parse("CONFIG_ARM64=y\nCONFIG_RANDOMIZE_BASE=y\n",
                "config-6.1.0-57-arm64"));
        assertThat(KaslrCheck.decide(kernel(0), arm64, "", false).mode()).isEqualTo(Options.Mode.ANCHOR);
        Optional<KernelConfig> s390 = Optional.of(KernelConfig.parse("CONFIG_S390=y\nCONFIG_RANDOMIZE_BASE=y\n",
                "config-6.1.0-50-s390x"));
        assertThatThrownBy(() -> KaslrCheck.decide(kernel(0), s390, "", false)).isInstanceOf(RefusedException.class)
                .hasMessageContaining("CONFIG_RANDOMIZE_BASE=y");
        assertThatThrownBy(() -> KaslrCheck.decide(kernel(0), RANDOMISES, "", false))
                .isInstanceOf(RefusedException.class);
    }
}
