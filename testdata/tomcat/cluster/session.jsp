<%@ page contentType="text/plain" trimDirectiveWhitespaces="true" %><%
// Creates the session on the first request and counts the requests of
// the session: a counter that goes on after a failover proves that the
// session continued (an Integer, which is Serializable, so that the
// DeltaManager replicates it).
Integer c = (Integer) session.getAttribute("count");
c = (c == null) ? 1 : c + 1;
session.setAttribute("count", c);
%>node=<%= System.getProperty("rig.node") %> session=<%= session.getId() %> count=<%= c %>
