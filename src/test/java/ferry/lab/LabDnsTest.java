package ferry.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class LabDnsTest {
    static Message ask(String name, int type) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        byte[] a = LabDns.answer(q.toWire());
        assertThat(a).isNotNull();
        Message m = new Message(a);
        assertThat(m.getHeader().getID()).isEqualTo(q.getHeader().getID());
        return m;
    }

    @Test
    void anIpv4OnlyNameHasItsARecordAuthoritatively() throws Exception {
        Message m = ask("www.example.net.", Type.A);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).singleElement()
                .satisfies(r -> assertThat(((ARecord) r).getAddress().getHostAddress()).isEqualTo("192.0.2.1"));
    }

    @Test
    void aaaaOfAnIpv4OnlyNameIsNoDataWithTheSoaSoDns64Synthesizes() throws Exception {
        Message m = ask("www.example.net.", Type.AAAA);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(m.getSection(Section.AUTHORITY)).singleElement().extracting(Record::getType).isEqualTo(Type.SOA);
    }

    @Test
    void unknownNamesAreNxdomainAndOtherZonesRefused() throws Exception {
        assertThat(ask("nothing.example.net.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(ask("www.example.com.", Type.A).getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void garbageAndResponsesGetNoAnswer() throws Exception {
        assertThat(LabDns.answer(new byte[]{1, 2, 3})).isNull();
        byte[] response = LabDns.answer(Message.newQuery(Record.newRecord(Name.fromString("www.example.net."),
                Type.A, DClass.IN)).toWire());
        assertThat(LabDns.answer(response)).isNull();
    }
}
