package ferry.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

class ExtHeaderWalkerTest {
    private final ExtHeaderWalker w = new ExtHeaderWalker();

    private static PacketBuilder b() {
        return PacketBuilder.ipv6("2001:db8::1", "64:ff9b::c000:201");
    }

    private int walk(byte[] p) {
        return w.walk(MemorySegment.ofArray(p), 0, p.length);
    }

    @Test
    void noExtensionHeadersPutsTheUpperLayerRightAfterTheFixedHeader() {
        assertThat(walk(b().udp(1, 2).build())).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.upperProtocol()).isEqualTo(IpProto.UDP);
        assertThat(w.upperOffset()).isEqualTo(40);
        assertThat(w.nextHeaderFieldOffset()).isEqualTo(6);
        assertThat(w.headerCount()).isZero();
        assertThat(w.hasFragmentHeader()).isFalse();
        assertThat(w.routingOffset()).isEqualTo(-1);
    }

    @Test
    void hopByHopRoutingDestinationAndFragmentAreWalked() {
        byte[] p = b().hopByHop().routing(0).options6(IpProto.IPV6_OPTS, 16).fragment(0, true, 0xdeadbeef)
                .tcp(1, 2).build();
        assertThat(walk(p)).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.headerCount()).isEqualTo(4);
        assertThat(w.routingOffset()).isEqualTo(48);
        assertThat(w.segmentsLeft()).isZero();
        assertThat(w.segmentsLeftFieldOffset()).isEqualTo(51);
        assertThat(w.fragmentHeaderOffset()).isEqualTo(48 + 24 + 16);
        assertThat(w.moreFragments()).isTrue();
        assertThat(w.fragmentOffset()).isZero();
        assertThat(w.fragmentId()).isEqualTo(0xdeadbeef);
        assertThat(w.atomicFragment()).isFalse();
        assertThat(w.upperProtocol()).isEqualTo(IpProto.TCP);
        assertThat(w.upperOffset()).isEqualTo(96);
        assertThat(w.nextHeaderFieldOffset()).isEqualTo(88);
    }

    @Test
    void routingHeaderSegmentsLeftIsReported() {
        walk(b().routing(3).udp(1, 2).build());
        assertThat(w.segmentsLeft()).isEqualTo(3);
        assertThat(w.routingOffset()).isEqualTo(40);
    }

    @Test
    void nonFirstFragmentEndsTheChainAtTheFragmentHeader() {
        byte[] p = b().fragment(185, false, 7).raw(IpProto.UDP, new byte[16]).build();
        assertThat(walk(p)).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.fragmentOffset()).isEqualTo(185);
        assertThat(w.upperProtocol()).isEqualTo(IpProto.UDP);
        assertThat(w.upperOffset()).isEqualTo(48);
        assertThat(w.nextHeaderFieldOffset()).isEqualTo(40);
    }

    @Test
    void nonFirstFragmentDataThatLooksLikeAnExtensionHeaderIsNotWalked() {
        byte[] p = b().fragment(8, true, 7).raw(IpProto.IPV6_OPTS, new byte[] {(byte) 0xff, (byte) 0xff}).build();
        assertThat(walk(p)).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.upperProtocol()).isEqualTo(IpProto.IPV6_OPTS);
        assertThat(w.headerCount()).isEqualTo(1);
    }

    @Test
    void atomicFragmentIsRecognised() {
        walk(b().fragment(0, false, 1).udp(1, 2).build());
        assertThat(w.atomicFragment()).isTrue();
    }

    @Test
    void headerAfterTheFragmentHeaderIsFlagged() {
        assertThat(walk(b().fragment(0, true, 1).destinationOptions().udp(1, 2).build())).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.extAfterFragment()).isTrue();
        assertThat(w.upperProtocol()).isEqualTo(IpProto.UDP);
    }

    @Test
    void secondFragmentHeaderIsAnError() {
        assertThat(walk(b().fragment(0, true, 1).fragment(0, true, 1).udp(1, 2).build()))
                .isEqualTo(ExtHeaderWalker.TWO_FRAGMENT_HEADERS);
        assertThat(w.errorOffset()).isEqualTo(48);
    }

    @Test
    void hopByHopAfterAnotherHeaderIsAnError() {
        assertThat(walk(b().destinationOptions().hopByHop().udp(1, 2).build()))
                .isEqualTo(ExtHeaderWalker.HOP_BY_HOP_NOT_FIRST);
    }

    @Test
    void chainLongerThanTheBoundIsAnError() {
        PacketBuilder pb = b();
        for (int i = 0; i < 100; i++) pb.destinationOptions();
        assertThat(walk(pb.udp(1, 2).build())).isEqualTo(ExtHeaderWalker.TOO_MANY_HEADERS);
        PacketBuilder ok = b();
        for (int i = 0; i < ExtHeaderWalker.MAX_HEADERS; i++) ok.destinationOptions();
        assertThat(walk(ok.udp(1, 2).build())).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.headerCount()).isEqualTo(ExtHeaderWalker.MAX_HEADERS);
    }

    @Test
    void headerRunningPastTheEndIsTruncated() {
        byte[] p = b().options6(IpProto.IPV6_OPTS, 32).udp(1, 2).build();
        assertThat(w.walk(MemorySegment.ofArray(p), 0, 40 + 24)).isEqualTo(ExtHeaderWalker.TRUNCATED);
        assertThat(w.walk(MemorySegment.ofArray(p), 0, 44)).isEqualTo(ExtHeaderWalker.TRUNCATED);
        assertThat(w.errorOffset()).isEqualTo(40);
    }

    @Test
    void terminalHeadersEndTheChain() {
        for (int proto : new int[] {IpProto.AH, IpProto.ESP, IpProto.IPV6_NONXT, IpProto.ICMPV6, 253}) {
            assertThat(walk(b().hopByHop().raw(proto, new byte[8]).build())).isEqualTo(ExtHeaderWalker.OK);
            assertThat(w.upperProtocol()).isEqualTo(proto);
            assertThat(w.upperOffset()).isEqualTo(48);
        }
    }

    @Test
    void walkingAtAnOffsetInsideALargerSegmentUsesRelativeOffsets() {
        byte[] p = b().hopByHop().udp(1, 2).build();
        byte[] big = new byte[p.length + 100];
        System.arraycopy(p, 0, big, 37, p.length);
        assertThat(w.walk(MemorySegment.ofArray(big), 37, p.length)).isEqualTo(ExtHeaderWalker.OK);
        assertThat(w.upperOffset()).isEqualTo(48);
    }
}
