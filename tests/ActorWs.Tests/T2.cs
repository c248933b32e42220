public class T2 { [Fact] public void A() {} }
